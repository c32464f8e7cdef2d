"""The compose stack for real (issue 13 items 1 and 2): the Portcullis image built from the debug
binaries `make test` built, deploy/compose/compose.yaml with its host-network override brought up by
podman-compose, and a scripted session of the official MCP Python SDK client through nginx.

Run by Tests/deploy/compose_test.sh (options: --bin, --compose-venv). Everything it starts carries
its own project name and is removed at the end; the base images stay, as a cache.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/interop"))
from clients import Trace, decision_of, sdk1_session, text_of  # noqa: E402
from harness import Process, free_port, wait_until  # noqa: E402

PODMAN = ROOT / "deploy/scripts/podman.sh"
COMPOSE_DIR = ROOT / "deploy/compose"
WORKERS = ["gateway-1", "gateway-2", "gateway-3"]
SERVICES = ["postgres", "controlplane", *WORKERS, "nginx"]

# Reads allowed, everything else denied by default, and get-pod limited to 2 a day per grant (a day
# window, so no window boundary falls inside the test: it steps around midnight UTC).
POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {
        "list-pods": {},
        "get-pod": {"limits": [{"counter": "get-pod", "window": "day", "max": 2, "scope": "grant"}]},
    },
}


def options(request: pytest.FixtureRequest) -> tuple[Path, Path]:
    bin_dir = request.config.getoption("--bin") or os.environ.get("PORTCULLIS_BIN")
    venv = request.config.getoption("--compose-venv") or os.environ.get("PORTCULLIS_COMPOSE_VENV")
    if not bin_dir or not venv:
        pytest.skip("needs --bin (controlplane and gateway binaries) and --compose-venv (podman-compose)")
    return Path(bin_dir).resolve(), Path(venv).resolve()


def podman(*args: str, check: bool = True, timeout: float = 120) -> str:
    done = subprocess.run([str(PODMAN), *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


@dataclass
class ComposeStack:
    work: Path
    project: str
    image: str
    compose_bin: Path
    ports: dict[str, int]
    env: dict[str, str]
    upstream_url: str = ""

    def compose(self, *args: str, timeout: float = 600) -> None:
        argv = [str(self.compose_bin), "--podman-path", str(PODMAN), "-p", self.project,
                "-f", str(COMPOSE_DIR / "compose.yaml"), "-f", str(COMPOSE_DIR / "compose.host-network.yaml"), *args]
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout, cwd=COMPOSE_DIR)
        (self.work / "compose.log").open("a").write(f"$ {' '.join(argv)}\n{done.stdout}\n{done.stderr}\n")
        assert done.returncode == 0, f"podman-compose {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    def containers(self, *filters: str) -> list[str]:
        args = ["ps", "-a", "--format", "{{.Names}}", "--filter", f"label=io.podman.compose.project={self.project}"]
        for value in filters:
            args += ["--filter", value]
        return podman(*args).split()

    def container(self, service: str) -> str:
        names = self.containers(f"label=com.docker.compose.service={service}")
        assert len(names) == 1, (service, names)
        return names[0]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def api(self, method: str, path: str, key: str, body=None):
        response = httpx.request(method, f"{self.url('controlplane')}{path}", json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {key}"})
        assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def logs(self) -> str:
        out = []
        for name in self.containers():
            done = subprocess.run([str(PODMAN), "logs", "--tail", "20", name], capture_output=True, text=True)
            out.append(f"--- {name} ---\n{done.stdout}{done.stderr}")
        return "\n".join(out)


def wait_ready(stack: ComposeStack, service: str, path: str) -> None:
    def ready() -> bool:
        return httpx.get(f"{stack.url(service)}{path}", timeout=2).status_code == 200
    wait_until(ready, 180, f"{service} {path}", interval=0.5)


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest):
    bin_dir, venv = options(request)
    work = Path(tempfile.mkdtemp(prefix="portcullis-compose."))
    project = f"portcullis-test-{os.getpid()}"
    image = f"localhost/portcullis-test:{project}"
    started = time.monotonic()
    subprocess.run([str(ROOT / "deploy/scripts/container-base-images.sh")], check=True, timeout=1800)
    subprocess.run([str(ROOT / "deploy/scripts/build-image.sh"), str(bin_dir), image], check=True, timeout=900)
    print(f"\nimages ready after {time.monotonic() - started:.0f}s")

    ports = {name: free_port() for name in ["postgres", "controlplane", *WORKERS, "nginx"]}
    env = {**os.environ, "PORTCULLIS_ENV_DIR": str(work / "env"), "PORTCULLIS_IMAGE": image,
           "PORTCULLIS_LISTEN_ADDRESS": "127.0.0.1",
           "PORTCULLIS_POSTGRES_PORT": str(ports["postgres"]), "PORTCULLIS_CONTROLPLANE_PORT": str(ports["controlplane"]),
           "PORTCULLIS_HTTP_PORT": str(ports["nginx"]),
           "PORTCULLIS_PUBLIC_GATEWAY_URL": f"http://127.0.0.1:{ports['nginx']}",
           **{f"PORTCULLIS_GATEWAY_{i + 1}_PORT": str(ports[w]) for i, w in enumerate(WORKERS)}}
    subprocess.run([str(COMPOSE_DIR / "configure.sh")], env=env, check=True, capture_output=True, timeout=120)
    # The test's upstream is plain http on loopback; cheap password hashes keep signup quick.
    with open(work / "env/settings.env", "a") as settings:
        settings.write("PORTCULLIS_ALLOW_UPSTREAM_CIDRS=127.0.0.0/8\nPORTCULLIS_ALLOW_PLAIN_HTTP_UPSTREAMS=true\n"
                       "PORTCULLIS_PASSWORD_HASH_ITERATIONS=1000\n")

    stack = ComposeStack(work, project, image, venv / "bin/podman-compose", ports, env)
    upstream_port = free_port()
    upstream = Process("upstream", [sys.executable, str(ROOT / "deploy/demo/runpod_server.py"), "--port", str(upstream_port)],
                       work / "upstream.log")
    try:
        # The order depends_on gives, step by step (docs/operations.md "Compose"): podman 4.3 cannot
        # wait for a health check, and its dependency graph of `--requires` fails to start a
        # container whose dependency has one of its own, so podman-compose runs with --no-deps.
        stack.compose("up", "-d", "--no-deps", "postgres")
        wait_until(lambda: subprocess.run([str(PODMAN), "healthcheck", "run", stack.container("postgres")],
                                          capture_output=True).returncode == 0, 180, "postgres healthy", interval=1)
        stack.compose("up", "-d", "--no-deps", "migrate")
        migrated = podman("wait", stack.container("migrate"), timeout=300)
        assert migrated == "0", f"migrate exited {migrated}:\n{stack.logs()}"
        stack.compose("up", "-d", "--no-deps", "controlplane", *WORKERS, "nginx")
        wait_ready(stack, "controlplane", "/readyz")
        for worker in WORKERS:
            wait_ready(stack, worker, "/readyz")
        wait_ready(stack, "nginx", "/healthz")
        upstream.start()
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{upstream_port}/healthz", timeout=2).status_code == 200,
                   60, "upstream up")
        stack.upstream_url = f"http://127.0.0.1:{upstream_port}/mcp"
        print(f"stack up after {time.monotonic() - started:.0f}s")
        yield stack
        if request.session.testsfailed:
            print(stack.logs())
    except BaseException:
        print(stack.logs())
        raise
    finally:
        upstream.stop()
        try:
            stack.compose("down", "-v", "-t", "5")
        finally:
            leftovers = stack.containers()
            volumes = podman("volume", "ls", "-q", "--filter", f"label=io.podman.compose.project={project}").split()
            podman("rmi", image, check=False)
            print(f"whole run {time.monotonic() - started:.0f}s")
            assert not leftovers and not volumes, f"left behind: {leftovers} {volumes}"
            shutil.rmtree(work, ignore_errors=True)


def test_every_service_passes_its_compose_health_check(stack: ComposeStack) -> None:
    """podman runs no health-check timer without systemd; `podman healthcheck run` runs the check once."""
    for service in SERVICES:
        done = subprocess.run([str(PODMAN), "healthcheck", "run", stack.container(service)], capture_output=True, text=True)
        assert done.returncode == 0, f"{service}: {done.stdout}{done.stderr}"
    migrate = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", stack.container("migrate"))
    assert migrate == "exited 0", migrate


def test_sdk_session_through_nginx_allowed_denied_rate_limited_and_a_worker_killed(stack: ComposeStack) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    if now.hour == 23 and now.minute >= 58:  # the day window of the limit must not turn mid-test
        time.sleep(180)
    signup = httpx.post(f"{stack.url('controlplane')}/v1/signup", timeout=30, json={
        "account_name": "Compose", "email": "compose@portcullis.example", "password": "correct horse battery"})
    assert signup.status_code == 201, signup.text
    key = signup.json()["api_key"]
    server = stack.api("POST", "/v1/servers", key, {"name": "runpod", "url": stack.upstream_url})
    assert server["status"] == "active", server
    policy = stack.api("POST", "/v1/policies", key, {"name": "compose", "server_id": server["id"], "document": POLICY})
    identity = stack.api("POST", "/v1/identities", key, {"label": "compose-agent"})
    grant = stack.api("POST", "/v1/grants", key, {"identity_id": identity["id"], "server_id": server["id"],
                                                   "policy_id": policy["id"]})
    assert grant["gateway_url"].startswith(stack.url("nginx")), grant["gateway_url"]
    for worker in WORKERS:  # every worker has the grant's snapshot before the session starts
        wait_until(lambda w=worker: httpx.post(f"{stack.url(w)}/mcp/{server['id']}", timeout=5, json={
            "jsonrpc": "2.0", "id": 0, "method": "ping"}, headers={
            "Authorization": f"Bearer {grant['token']}", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream"}).status_code != 401, 30, f"grant known to {worker}")

    victim = "gateway-2"
    victim_address = f"127.0.0.1:{stack.ports[victim]}"
    trace = Trace()

    async def session() -> None:
        async with sdk1_session(grant["gateway_url"], grant["token"], trace=trace) as mcp:
            allowed = await mcp.call_tool("list-pods", {})
            assert not allowed.isError and "pod_demo1" in text_of(allowed), text_of(allowed)
            denied = await mcp.call_tool("start-pod", {"podId": "pod_demo1"})
            assert denied.isError and (decision_of(denied) or {}).get("code") == "default_deny", denied
            for _ in range(2):
                got = await mcp.call_tool("get-pod", {"podId": "pod_demo1"})
                assert not got.isError, text_of(got)
            limited = await mcp.call_tool("get-pod", {"podId": "pod_demo1"})
            assert limited.isError and (decision_of(limited) or {}).get("code") == "rate_limited", limited
            for _ in range(3):  # round-robin: the victim answers within three calls
                assert not (await mcp.call_tool("list-pods", {})).isError
            assert victim_address in trace.workers, trace.workers

            await asyncio.to_thread(podman, "kill", stack.container(victim))
            before = len(trace.workers)
            for _ in range(6):
                result = await mcp.call_tool("list-pods", {})
                assert not result.isError, text_of(result)
            # nginx names every worker it tried ("dead, live" when it moved on); the last one answered.
            answered = [w.split(", ")[-1] for w in trace.workers[before:] if w]
            assert answered and victim_address not in answered, trace.workers[before:]
            assert len(set(answered)) == 2, answered

    asyncio.run(asyncio.wait_for(session(), 180))
    state = podman("inspect", "--format", "{{.State.Status}}", stack.container(victim))
    assert state == "exited", state

    # The live workers ship their audit events to PostgreSQL: the denials are there.
    def denial_codes() -> set[str]:
        items = stack.api("GET", f"/v1/audit?grant={grant['id']}&decision=deny&limit=200", key)["items"]
        return {item["code"] for item in items}
    wait_until(lambda: {"default_deny", "rate_limited"} <= denial_codes(), 60, "denials in the audit log", interval=1)
