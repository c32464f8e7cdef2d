"""Checks deploy/observability with promtool (issue 13 item 6): the alert rules parse
(`promtool check rules`) and fire as their unit tests say (`promtool test rules`), and every
PromQL expression of the Grafana dashboard parses: each becomes a recording rule of a scratch
rule file (Grafana's $__rate_interval and the dashboard's job variables replaced by values),
which `promtool check rules` parses. That every metric they name exists is checked by
Tests/GatewayTests/OperatorMetricsTests.swift against running processes.

Usage: python3 Tests/deploy/check_observability.py   (from the repository root)
"""
import json
import os
import subprocess
import sys
import tempfile

FOLDER = "deploy/observability"
SUBSTITUTIONS = {"$__rate_interval": "1m", "$gateway_job": ".*gateway.*", "$controlplane_job": ".*controlplane.*"}


def run(arguments):
    result = subprocess.run(arguments, capture_output=True, text=True)
    print(result.stdout.strip())
    if result.returncode != 0:
        sys.exit(f"FAIL {' '.join(arguments)}:\n{result.stderr}")


def dashboard_expressions():
    with open(f"{FOLDER}/grafana-dashboard.json") as file:
        dashboard = json.load(file)
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expression = target["expr"]
            for name, value in SUBSTITUTIONS.items():
                expression = expression.replace(name, value)
            yield panel["title"], expression


def main():
    run(["promtool", "check", "rules", f"{FOLDER}/alerts.yaml"])
    run(["promtool", "test", "rules", f"{FOLDER}/alerts.test.yaml"])
    expressions = list(dashboard_expressions())
    if len(expressions) < 10:
        sys.exit(f"FAIL the dashboard has only {len(expressions)} queries")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "dashboard-rules.json")
        rules = [{"record": f"dashboard:panel_{index}", "expr": expression} for index, (_, expression) in enumerate(expressions)]
        with open(path, "w") as file:
            json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, file)
        run(["promtool", "check", "rules", path])
    print(f"ok   {len(expressions)} dashboard queries parse")


main()
