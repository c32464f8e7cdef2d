"""`make demo`, second half: set up an account through the admin API, then a scripted agent session.

Run by deploy/demo/run.sh once PostgreSQL, the control plane, two gateway workers behind nginx and
the demo upstream are up. Everything goes through the public interfaces: the REST API (/v1) for
the operator's side, and the official MCP Python SDK client through nginx for the agent's side.

    python demo.py --data DATA --control-plane URL --upstream URL
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

SERVER_NAME = "runpod"
IDENTITY_LABEL = "demo-agent"
POLICY_NAME = "runpod-demo"
HIDDEN = ["delete-endpoint", "delete-template", "delete-network-volume", "delete-container-registry-auth"]

# The seed's policy (default deny, stop-pod at 10 a minute per grant), extended so the demo shows more.
POLICY: dict[str, Any] = {
    "version": "1",
    "default": "deny",
    "hide": HIDDEN,
    "tools": {
        "list-*": {},
        "get-*": {},
        "create-pod": {
            "deny_if": [{
                "name": "no-latest-tag",
                "conditions": [{"path": "args.imageName", "op": "regex", "value": ":latest$"}],
                "on_deny": "Pin an image tag: ':latest' images are not allowed.",
            }],
            "limits": [{"counter": "create-pod_rate", "window": "minute", "max": 5, "scope": "grant"}],
        },
        "stop-pod": {
            "limits": [{"counter": "stop-pod_rate", "window": "minute", "max": 10, "scope": "grant"}],
        },
        "delete-pod": {
            "approval": {"timeout": "15m", "hold": "25s", "on_deny": "A human said no to deleting this pod."},
        },
    },
    "audit": {"arguments": "redacted"},
}

BOLD, DIM, GREEN, RED, YELLOW, RESET = ("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[33m", "\033[0m") \
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR") else ("",) * 6


def say(text: str = "") -> None:
    print(text, flush=True)


class API:
    """The admin REST API with one API key."""

    def __init__(self, base: str, key: str | None = None) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.key = key

    def request(self, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201, 204)) -> Any:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        response = self.http.request(method, path, json=body, headers=headers)
        if response.status_code not in ok:
            raise SystemExit(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def status(self, method: str, path: str) -> int:
        return self.http.request(method, path, headers={"Authorization": f"Bearer {self.key}"}).status_code


# --- the operator's side -------------------------------------------------------------------------

def load_state(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def save_state(path: Path, state: dict[str, Any]) -> None:
    path.write_text(json.dumps(state, indent=2) + "\n")
    path.chmod(0o600)


def set_up(api: API, state: dict[str, Any], upstream: str, state_path: Path) -> dict[str, Any]:
    """Account, server, policy, identity and a fresh grant; ids and the API key kept in DATA."""
    if state.get("api_key"):
        api.key = state["api_key"]
        if api.status("GET", "/v1/account") != 200:
            api.key = None
    if api.key is None and state.get("email"):
        login = api.request("POST", "/v1/login", {"email": state["email"], "password": state["password"]}, ok=(200, 401))
        if "api_key" in login:
            # A login key expires after 12 hours; trade it for a lasting one.
            api.key = login["api_key"]
            api.key = state["api_key"] = api.request("POST", "/v1/api-keys", {"name": "make demo"})["token"]
            say(f"  account    reusing {state['email']}")
    if api.key is None:
        email = f"demo-{secrets.token_hex(3)}@portcullis.example"
        password = secrets.token_urlsafe(18)
        signup = api.request("POST", "/v1/signup", {"account_name": "Portcullis demo", "email": email, "password": password})
        api.key = signup["api_key"]
        state.clear()
        state.update(email=email, password=password, api_key=api.key, account_id=signup["account"]["id"])
        say(f"  account    signed up {email} (account {signup['account']['slug']})")
    else:
        say(f"  account    reusing {state['email']} (API key from {state_path})")
    save_state(state_path, state)

    server = None
    if state.get("server_id"):
        if api.status("GET", f"/v1/servers/{state['server_id']}") == 200:
            server = api.request("POST", f"/v1/servers/{state['server_id']}/discover")["server"]
    if server is None:
        server = api.request("POST", "/v1/servers", {"name": SERVER_NAME, "url": upstream, "description": "RunPod-like demo upstream (in memory)"})
    state["server_id"] = server["id"]
    tools = api.request("GET", f"/v1/servers/{server['id']}/tools?limit=200")["items"]
    say(f"  server     {server['name']} {server['url']}: {server['status']}, {len(tools)} tools in the catalog")
    by_name = {tool["name"]: tool for tool in tools}
    for name in ("list-pods", "stop-pod", "delete-pod"):
        if name in by_name:
            risk = by_name[name]["risk"]
            say(f"             {name:<11} {risk['class']}/{risk['severity']}: {risk['rationale']}")

    api.request("POST", "/v1/policies/validate", {"document": POLICY})
    policy = None
    if state.get("policy_id") and api.status("GET", f"/v1/policies/{state['policy_id']}") == 200:
        policy = api.request("PUT", f"/v1/policies/{state['policy_id']}", {"document": POLICY})
    if policy is None:
        policy = api.request("POST", "/v1/policies", {"name": POLICY_NAME, "server_id": server["id"], "document": POLICY})
    state["policy_id"] = policy["id"]
    say(f"  policy     {policy['name']} version {policy['version']} (validated by POST /v1/policies/validate)")

    identity = None
    if state.get("identity_id") and api.status("GET", f"/v1/identities/{state['identity_id']}") == 200:
        identity = api.request("GET", f"/v1/identities/{state['identity_id']}")
    if identity is None:
        identity = api.request("POST", "/v1/identities", {"label": IDENTITY_LABEL, "description": "The scripted agent of make demo"})
    state["identity_id"] = identity["id"]
    say(f"  identity   {identity['label']}")

    # A fresh grant each run: its token is shown once, and its stop-pod counter starts at zero.
    if state.get("grant_id"):
        api.request("DELETE", f"/v1/grants/{state['grant_id']}", ok=(204, 404))
    grant = api.request("POST", "/v1/grants", {"identity_id": identity["id"], "server_id": server["id"], "policy_id": policy["id"]})
    state["grant_id"] = grant["id"]
    save_state(state_path, state)
    say(f"  grant      {grant['id']} ({grant['token_hint']}); the previous run's grant, if any, is revoked")
    return grant


def print_grant(grant: dict[str, Any], control_plane: str, state: dict[str, Any]) -> None:
    say()
    say(f"{BOLD}Point an MCP client at Portcullis{RESET}")
    say(f"  gateway URL   {grant['gateway_url']}")
    say(f"  token         {grant['token']}")
    say(f"  secret URL    {grant['secret_url']}   (for clients that cannot set headers)")
    say(f"  console       {control_plane}/console   (docs/console.md)")
    say(f"    log in as   {state['email']}")
    say(f"    password    {state['password']}   (also in data/demo-state.json)")
    config = grant["client_config"]
    say()
    say("  Claude Code:")
    say(f"    {config['claude_code']['command']}")
    for key, title in (("claude_desktop", "Claude Desktop"), ("cursor", "Cursor"), ("vscode", "VS Code")):
        say(f"  {title} ({config[key]['file']}):")
        for line in json.dumps(config[key]["config"], indent=2).splitlines():
            say(f"    {line}")


# --- the agent's side ------------------------------------------------------------------------------

def text_of(result: Any) -> str:
    return " ".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def outcome(result: Any) -> str:
    if not result.isError:
        return f"{GREEN}allowed{RESET}"
    decision = (result.meta or {}).get("portcullis/decision") if hasattr(result, "meta") else None
    code = decision.get("code") if isinstance(decision, dict) else None
    return f"{RED}denied{RESET} ({code})" if code else f"{YELLOW}tool error{RESET}"


def short(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


async def wait_for_grant(url: str, token: str) -> None:
    """The workers learn of the new grant from their snapshot long-poll; wait until nginx's do."""
    deadline = time.monotonic() + 20
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            response = await http.post(url, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                "Accept": "application/json, text/event-stream"},
                json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            # 401 while the grant is unknown; anything else (400: no session) means it is known.
            if response.status_code != 401 or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.2)


async def approve_when_pending(api: API, grant_id: str, tool: str) -> str:
    """The human's side of an approval: find the pending request, approve it through the API."""
    for _ in range(200):
        pending = await asyncio.to_thread(api.request, "GET", "/v1/approvals?status=pending&limit=200")
        for approval in pending["items"]:
            if approval["grant_id"] == grant_id and approval["tool"] == tool:
                await asyncio.sleep(1.5)  # long enough to see the call held
                await asyncio.to_thread(api.request, "POST", f"/v1/approvals/{approval['id']}/approve",
                                        {"reason": "approved by the demo script"})
                return approval["id"]
        await asyncio.sleep(0.1)
    raise SystemExit("no pending approval appeared for delete-pod")


async def agent_session(api: API, grant: dict[str, Any]) -> None:
    url, token = grant["gateway_url"], grant["token"]
    await wait_for_grant(url, token)
    workers: list[str] = []

    async def remember_worker(response: httpx.Response) -> None:
        worker = response.headers.get("x-portcullis-worker")
        if worker:
            workers.append(worker)

    http = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"},
                             timeout=httpx.Timeout(30, read=120), event_hooks={"response": [remember_worker]})
    say()
    say(f"{BOLD}Scripted agent session{RESET} (official MCP Python SDK client → nginx → 2 gateway workers → upstream)")
    async with http, streamable_http_client(url, http_client=http) as (read, write, _):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            say(f"  initialize            protocol {init.protocolVersion}, server {init.serverInfo.name} {init.serverInfo.version}")
            listed = [tool.name for tool in (await session.list_tools()).tools]
            absent = [name for name in HIDDEN if name not in listed]
            say(f"  tools/list            {len(listed)} tools; hidden and absent: {', '.join(absent)}")

            result = await session.call_tool("list-pods", {})
            pods = json.loads(text_of(result))["pods"] if not result.isError else []
            say(f"  list-pods             {outcome(result)}: {', '.join(p['id'] + ' ' + p['desiredStatus'] for p in pods)}")

            result = await session.call_tool("create-pod", {"imageName": "runpod/pytorch:latest", "gpuCount": 1})
            say(f"  create-pod :latest    {outcome(result)}: {short(text_of(result))}")

            result = await session.call_tool("create-pod", {"imageName": "runpod/pytorch:2.1.0-py3.10-cuda11.8.0",
                                                            "name": "demo-pod", "gpuCount": 1})
            pod = json.loads(text_of(result))["id"] if not result.isError else "pod_demo1"
            say(f"  create-pod pinned     {outcome(result)}: {short(text_of(result), 80)}")

            result = await session.call_tool("start-pod", {"podId": pod})
            say(f"  start-pod             {outcome(result)}: {short(text_of(result))}")

            try:
                await session.call_tool("delete-endpoint", {"endpointId": "ep_1"})
                say("  delete-endpoint       unexpectedly answered")
            except McpError as error:
                say(f"  delete-endpoint       {RED}hidden{RESET}: JSON-RPC error {error.error.code} {error.error.message}")

            # Eleven stop-pod calls within one minute: the seed's limit allows ten.
            remaining = 60 - dt.datetime.now(dt.timezone.utc).second
            if remaining < 12:
                say(f"  {DIM}(waiting {remaining}s for the next minute so all eleven calls share one window){RESET}")
                await asyncio.sleep(remaining + 0.5)
            for n in range(1, 12):
                result = await session.call_tool("stop-pod", {"podId": pod})
                detail = json.loads(text_of(result))["desiredStatus"] if not result.isError else short(text_of(result))
                say(f"  stop-pod #{n:<2}          {outcome(result)}: {detail}")

            say(f"  delete-pod            held for a human; the script approves it through the API …")
            started = time.monotonic()
            approver = asyncio.create_task(approve_when_pending(api, grant["id"], "delete-pod"))
            result = await session.call_tool("delete-pod", {"podId": pod})
            approval_id = await approver
            say(f"  delete-pod            {outcome(result)} after {time.monotonic() - started:.1f}s "
                f"(approval {approval_id}): {short(text_of(result))}")

            result = await session.call_tool("get-pod", {"podId": pod})
            say(f"  get-pod               {outcome(result)}: {short(text_of(result))}")
    distinct = sorted(set(workers))
    say(f"  {DIM}{len(workers)} HTTP requests, served by the workers at {', '.join(distinct)} (round-robin, one MCP session){RESET}")


def print_audit(api: API, grant_id: str, expected_calls: int) -> None:
    """Waits until the workers have shipped every call's events (`expected_calls`: the session's tools/call
    requests, counting the approval request), then prints them."""
    rows: list[dict[str, Any]] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # workers ship their audit spool in batches
        rows = api.request("GET", f"/v1/audit?grant={grant_id}&limit=200")["items"]
        calls = [row for row in rows if row["method"] == "tools/call" and row["kind"] != "response"]
        last_answered = any(row["tool"] == "get-pod" and row["kind"] == "response" for row in rows)
        if len(calls) >= expected_calls and last_answered:
            break
        time.sleep(0.3)
    rows.sort(key=lambda row: (row["time"], row["seq"]))
    say()
    say(f"{BOLD}Audit log{RESET} (GET /v1/audit?grant=…: {len(rows)} events, oldest first)")
    show_worker = any(row.get("worker_id") for row in rows)
    columns = [("time", 12), ("kind", 18), ("method", 25), ("tool", 15), ("decision", 8), ("code", 16)]
    if show_worker:
        columns.insert(1, ("worker", 9))
    header = "  " + " ".join(f"{name:<{width}}" for name, width in columns) + " message"
    say(header)
    say("  " + "-" * (len(header) + 30))
    for row in rows:
        cells = {"time": row["time"][11:23], "kind": row.get("kind") or "", "method": row.get("method") or "",
                 "tool": row.get("tool") or "", "decision": row.get("decision") or "", "code": row.get("code") or "",
                 "worker": (row.get("worker_id") or "")[-9:]}
        say("  " + " ".join(f"{cells[name][:width]:<{width}}" for name, width in columns)
            + " " + short(row.get("message") or "", 56))
    verify = api.request("GET", "/v1/audit/verify")
    say(f"  hash chain: {'intact' if verify['ok'] else 'BROKEN'} ({verify['checked']} events checked, GET /v1/audit/verify)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--control-plane", required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    state_path = Path(args.data) / "demo-state.json"
    state = load_state(state_path)
    api = API(args.control_plane)
    say(f"{BOLD}Setting up through the admin API{RESET} ({args.control_plane}/v1)")
    grant = set_up(api, state, args.upstream, state_path)
    print_grant(grant, args.control_plane, state)
    asyncio.run(agent_session(api, grant))
    print_audit(api, grant["id"], expected_calls=19)


if __name__ == "__main__":
    main()
