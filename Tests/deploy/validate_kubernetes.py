"""Renders deploy/kubernetes (base and the production overlay) with `kubectl kustomize` and
validates every object against the Kubernetes API schemas that kubernetes-validate ships (no
network), strictly (unknown fields fail), for the oldest version the manifests support (1.30:
the preStop `sleep` action) and the newest the package knows.

Custom resources have no schema in that package and none is installed here, so they are
skipped by name, with the reason printed: the ServiceMonitor (Prometheus Operator CRD) and the
CloudNativePG Cluster and ScheduledBackup (deploy/kubernetes/postgres, applied on its own).
Their YAML must still parse and name its kind. Any other kind without a schema fails.

A copy of one rendered Deployment with an unknown field must fail, so the check cannot pass by
validating nothing.

Usage: python Tests/deploy/validate_kubernetes.py   (from the repository root)
"""
import copy
import subprocess
import sys

import kubernetes_validate
import yaml

ROOT = "deploy/kubernetes"
TARGETS = ["base", "overlays/production"]
STANDALONE = ["postgres/cloudnativepg-cluster.yaml"]
VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version()]
CUSTOM_RESOURCES = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "Prometheus Operator CRD, schema not shipped by kubernetes-validate",
    ("postgresql.cnpg.io/v1", "Cluster"): "CloudNativePG CRD, schema not shipped by kubernetes-validate",
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): "CloudNativePG CRD, schema not shipped by kubernetes-validate",
}


def render(target):
    result = subprocess.run(["kubectl", "kustomize", f"{ROOT}/{target}"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"kubectl kustomize {target} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def validate(source, documents):
    failures = 0
    for document in documents:
        name = f"{source}: {document.get('kind')}/{document.get('metadata', {}).get('name')}"
        reason = CUSTOM_RESOURCES.get((document.get("apiVersion"), document.get("kind")))
        if reason:
            print(f"SKIP {name}: {reason}")
            continue
        before = failures
        for version in VERSIONS:
            try:
                kubernetes_validate.validate(document, version, strict=True)
            except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as error:
                print(f"FAIL {name} against {version}: {error}")
                failures += 1
        if failures == before:
            print(f"ok   {name} ({', '.join(VERSIONS)})")
    return failures


def main():
    failures = 0
    rendered = {}
    for target in TARGETS:
        rendered[target] = render(target)
        failures += validate(target, rendered[target])
    for path in STANDALONE:
        with open(f"{ROOT}/{path}") as file:
            failures += validate(path, [doc for doc in yaml.safe_load_all(file) if doc])
    deployment = next(doc for doc in rendered["base"] if doc["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFS"] = True
    try:
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)
        print("FAIL the validator accepted a Deployment with an unknown field")
        failures += 1
    except kubernetes_validate.ValidationError:
        print("ok   a Deployment with an unknown field is refused")
    if failures:
        sys.exit(f"{failures} Kubernetes validation failure(s)")


main()
