"""The interoperability suite's stack, all on loopback and all private to one run:

PostgreSQL (deploy/scripts/postgres.sh) → control plane → N gateway workers → nginx in front of them
(deploy/nginx), and upstream MCP servers built on the official SDK: the demo's RunPod-like server
(SDK 1.x) in every transport mode, and the same tools on SDK 2.x. Every process is a child of the
test run; `Stack.stop()` ends them all, also when a test failed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except Exception as error:  # noqa: BLE001 - keep polling until the deadline
            last = error
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout}s (last: {last!r})")


@dataclass
class Process:
    name: str
    argv: list[str]
    log: Path
    env: dict[str, str] | None = None
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        self.popen = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      env=self.env, cwd=ROOT)
        out.close()

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, not a shutdown."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


@dataclass
class Upstream:
    name: str
    sdk: str  # "1.x" or "2.x"
    json_response: bool
    stateless: bool
    port: int = 0
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"


@dataclass
class Worker:
    index: int
    port: int
    process: Process

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


# Every upstream the suite talks to: SDK 1.x in the four transport modes, and SDK 2.x.
UPSTREAMS = [
    Upstream("sse-stateful", "1.x", json_response=False, stateless=False),
    Upstream("json-stateful", "1.x", json_response=True, stateless=False),
    Upstream("sse-stateless", "1.x", json_response=False, stateless=True),
    Upstream("json-stateless", "1.x", json_response=True, stateless=True),
    Upstream("v2-sse-stateful", "2.x", json_response=False, stateless=False),
]

HIDDEN = ["delete-endpoint", "delete-template"]

# The member `Stack` signs up (the account's owner): the OAuth suite signs in as them to consent.
MEMBER_EMAIL = "interop@portcullis.example"
MEMBER_PASSWORD = "correct horse battery"


def interop_policy(approval_hold: str = "20s") -> dict[str, Any]:
    """The suite's policy: reads allowed, a deny_if, hidden tools, an approval, a limit of 100 a day."""
    return {
        "version": "1",
        "default": "deny",
        "hide": HIDDEN,
        "tools": {
            "list-*": {},
            "get-*": {},
            "create-pod": {"deny_if": [{
                "conditions": [{"path": "args.imageName", "op": "regex", "value": ":latest$"}],
                "on_deny": "Pin an image tag.",
            }]},
            "stop-pod": {"limits": [{"counter": "stop-pod_rate", "window": "minute", "max": 10, "scope": "grant"}]},
            # The burst scenario: 400 calls against max 100. A day window, so a window boundary
            # cannot fall inside the burst (the test also steps around midnight UTC).
            "list-data-centers": {"limits": [{"counter": "burst", "window": "day", "max": 100, "scope": "grant"}]},
            "delete-pod": {"approval": {"timeout": "15m", "hold": approval_hold}},
            "delete-network-volume": {"approval": {"timeout": "15m", "hold": "2s"}},
        },
    }


@dataclass
class Grant:
    id: str
    token: str
    server_id: str
    gateway_url: str
    secret_url: str
    raw: dict[str, Any]


@dataclass
class Stack:
    bin_dir: Path
    venv2: Path | None
    workdir: Path
    worker_count: int = 2
    # The console suite (Tests/console) starts one upstream and signs up through the browser.
    upstream_specs: list[Upstream] = field(default_factory=lambda: list(UPSTREAMS))
    set_up_account: bool = True
    # Further `controlplane serve` options (the OAuth suite's short access-token lifetime).
    controlplane_args: list[str] = field(default_factory=list)
    procs: list[Process] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)
    upstreams: dict[str, Upstream] = field(default_factory=dict)
    api_key: str = ""
    servers: dict[str, str] = field(default_factory=dict)  # upstream name -> server id
    policies: dict[str, str] = field(default_factory=dict)  # upstream name -> policy id
    cp_port: int = 0
    lb_port: int = 0
    conninfo: str = ""

    # --- start and stop ------------------------------------------------------------------------

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        self.conninfo = subprocess.run([str(ROOT / "deploy/scripts/postgres.sh"), "start", str(self.workdir / "pg")],
                                       check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run(["psql", self.conninfo, "-qc", "CREATE DATABASE portcullis"], check=True, capture_output=True)
        database_url = self.conninfo.replace("dbname=postgres", "dbname=portcullis")
        worker_token = subprocess.run([str(self.bin_dir / "controlplane"), "new-token", "worker"],
                                      check=True, capture_output=True, text=True).stdout.strip()
        secret_keys = "v1:" + base64.b64encode(os.urandom(32)).decode()
        self.cp_port, self.lb_port = free_port(), free_port()
        env = {**os.environ, "PORTCULLIS_DATABASE_URL": database_url, "PORTCULLIS_SECRET_KEYS": secret_keys,
               "PORTCULLIS_ALLOW_UPSTREAM_CIDRS": "127.0.0.0/8", "PORTCULLIS_ALLOW_PLAIN_HTTP_UPSTREAMS": "true",
               "PORTCULLIS_LOG_LEVEL": "warning",
               # The OAuth issuer and the resource URLs (issue 14) are the addresses the suite reaches:
               # the control plane directly, the workers through nginx.
               "PORTCULLIS_PUBLIC_URL": self.cp, "PORTCULLIS_PUBLIC_GATEWAY_URL": self.lb}
        # Keep-alives every second while a call is held, so the suite sees them pass nginx unbuffered.
        # Workers connect as their own least-privileged role (issue 10 item 19; the cluster trusts local users).
        self.worker_env = {**env, "PORTCULLIS_WORKER_TOKEN": worker_token, "PORTCULLIS_APPROVAL_KEEPALIVE": "1",
                           "PORTCULLIS_DATABASE_URL": database_url + " user=portcullis_worker"}

        for spec in self.upstream_specs:
            if spec.sdk == "2.x" and self.venv2 is None:
                continue
            upstream = Upstream(spec.name, spec.sdk, spec.json_response, spec.stateless, port=free_port())
            if spec.sdk == "1.x":
                argv = [sys.executable, str(ROOT / "deploy/demo/runpod_server.py"), "--port", str(upstream.port)]
                argv += ["--json-response"] if spec.json_response else ["--sse"]
            else:
                argv = [str(self.venv2 / "bin/python"), str(ROOT / "Tests/interop/upstream_v2.py"), "--port", str(upstream.port)]
                argv += ["--json-response"] if spec.json_response else []
            argv += ["--stateless"] if spec.stateless else []
            upstream.process = self._spawn(f"upstream-{spec.name}", argv)
            self.upstreams[spec.name] = upstream

        self._spawn("controlplane", [
            str(self.bin_dir / "controlplane"), "serve", "--host", "127.0.0.1", "--port", str(self.cp_port),
            "--worker-tokens", worker_token, "--public-gateway-url", f"http://127.0.0.1:{self.lb_port}",
            "--password-hash-iterations", "1000", *self.controlplane_args,
        ], env=env)
        wait_until(lambda: httpx.get(f"{self.cp}/readyz", timeout=2).status_code == 200, 60, "control plane ready")

        for index in range(self.worker_count):
            port = free_port()
            worker = Worker(index, port, self._worker_process(index, port))
            self.workers.append(worker)
        for worker in self.workers:
            self.wait_worker_ready(worker)

        nginx_dir = self.workdir / "nginx"
        subprocess.run([str(ROOT / "deploy/nginx/nginx.sh"), "render", str(nginx_dir), f"127.0.0.1:{self.lb_port}",
                        *[w.address for w in self.workers]], check=True)
        self._spawn("nginx", [NGINX, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"),
                              "-e", str(nginx_dir / "error.log"), "-g", "daemon off;"])
        wait_until(lambda: httpx.get(f"{self.lb}/healthz", timeout=2).status_code == 200, 30, "nginx up")
        for upstream in self.upstreams.values():
            wait_until(lambda u=upstream: socket.create_connection(("127.0.0.1", u.port), timeout=2).close() or True,
                       30, f"upstream {upstream.name} up")
        if self.set_up_account:
            self._set_up_account()

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Process:
        process = Process(name, argv, self.workdir / "logs" / f"{name}.log", env=env)
        process.start()
        self.procs.append(process)
        return process

    def _worker_process(self, index: int, port: int) -> Process:
        spool = self.workdir / f"spool-{index + 1}"
        spool.mkdir(parents=True, exist_ok=True)
        return self._spawn(f"gateway-{index + 1}", [
            str(self.bin_dir / "gateway"), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--control-plane-url", self.cp, "--audit-spool-dir", str(spool),
            "--worker-id", f"interop-gw-{index + 1}", "--counters", "postgres",
        ], env=self.worker_env)

    def wait_worker_ready(self, worker: Worker) -> None:
        def ready() -> bool:
            if not worker.process.alive():
                raise RuntimeError(f"gateway-{worker.index + 1} exited:\n{worker.process.tail()}")
            return httpx.get(f"http://{worker.address}/readyz", timeout=2).status_code == 200
        wait_until(ready, 60, f"gateway-{worker.index + 1} ready")

    def kill_worker(self, index: int) -> None:
        self.workers[index].process.kill()

    def restart_worker(self, index: int) -> None:
        worker = self.workers[index]
        worker.process.stop()
        worker.process = self._worker_process(index, worker.port)
        self.wait_worker_ready(worker)
        # nginx skips a worker for fail_timeout after it failed; wait until it routes to it again.
        wait_until(lambda: any(worker.address == httpx.get(f"{self.lb}/healthz", timeout=2).headers.get("x-portcullis-worker")
                               for _ in range(4)), 30, f"nginx routing to gateway-{index + 1} again", interval=0.5)

    def stop(self) -> None:
        for process in reversed(self.procs):
            try:
                process.stop()
            except Exception:  # noqa: BLE001 - stop the rest regardless
                pass
        subprocess.run([str(ROOT / "deploy/scripts/postgres.sh"), "stop", str(self.workdir / "pg")],
                       capture_output=True, timeout=60)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} (last lines) ---\n{p.tail(15)}" for p in self.procs)

    # --- addresses ------------------------------------------------------------------------------

    @property
    def cp(self) -> str:
        return f"http://127.0.0.1:{self.cp_port}"

    @property
    def lb(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    # --- the admin API ----------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None, expect: int | tuple[int, ...] = (200, 201, 204)) -> Any:
        response = httpx.request(method, f"{self.cp}{path}", json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {self.api_key}"})
        expected = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in expected, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def _set_up_account(self) -> None:
        signup = httpx.post(f"{self.cp}/v1/signup", timeout=30, json={
            "account_name": "Interop", "email": MEMBER_EMAIL, "password": MEMBER_PASSWORD})
        assert signup.status_code == 201, signup.text
        self.api_key = signup.json()["api_key"]
        self.api("POST", "/v1/policies/validate", {"document": interop_policy()})
        for name, upstream in self.upstreams.items():
            server = self.api("POST", "/v1/servers", {"name": name, "url": upstream.url})
            assert server["status"] == "active", server
            self.servers[name] = server["id"]
            policy = self.api("POST", "/v1/policies", {"name": f"interop-{name}", "server_id": server["id"],
                                                       "document": interop_policy()})
            self.policies[name] = policy["id"]

    def new_grant(self, upstream: str, label: str) -> Grant:
        """An identity and a grant on one upstream's server, known to every worker before it returns."""
        identity = self.api("POST", "/v1/identities", {"label": label})
        grant = self.api("POST", "/v1/grants", {"identity_id": identity["id"], "server_id": self.servers[upstream],
                                                "policy_id": self.policies[upstream]})
        result = Grant(grant["id"], grant["token"], self.servers[upstream], grant["gateway_url"], grant["secret_url"], grant)
        for worker in self.workers:
            if worker.process.alive():
                self.wait_grant_known(worker, result)
        return result

    def wait_grant_known(self, worker: Worker, grant: Grant) -> None:
        def known() -> bool:
            response = httpx.post(f"http://{worker.address}/mcp/{grant.server_id}", timeout=5,
                                  headers={"Authorization": f"Bearer {grant.token}", "Content-Type": "application/json",
                                           "Accept": "application/json, text/event-stream"},
                                  json={"jsonrpc": "2.0", "id": 0, "method": "ping"})
            return response.status_code != 401
        wait_until(known, 20, f"grant {grant.id} known to gateway-{worker.index + 1}")

    def audit(self, grant_id: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.api("GET", f"/v1/audit?grant={grant_id}&limit=200" + (f"&cursor={cursor}" if cursor else ""))
            rows += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return rows

    def upstream_calls(self, upstream: str) -> int:
        return httpx.get(f"http://127.0.0.1:{self.upstreams[upstream].port}/stats", timeout=5).json()["calls"]


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)


def serve_for_session(stack: Stack, failures, workdir: Path, keep_workdir: bool, suite: str):
    """A session fixture's body: starts `stack`, yields it, stops it. When tests failed (`failures()`
    > 0) or it cannot start, prints its logs and keeps `workdir` for them."""
    try:
        stack.start()
    except BaseException:
        print(stack.logs())
        stack.stop()
        raise
    yield stack
    failed = failures()
    stack.stop()
    if failed:
        print(f"\n{failed} {suite} test(s) failed; logs kept in {workdir}/logs")
        print(stack.logs())
    elif not keep_workdir:
        shutil.rmtree(workdir, ignore_errors=True)
