"""Interoperability through the gateway (issue 6, design.md §9): the official MCP Python SDK client →
nginx → two gateway workers → upstreams built on the official SDK, one stack for the whole module."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections import Counter

import httpx
import pytest

from clients import Trace, call_error, decision_of, sdk1_session, sdk2_report, text_of
from harness import HIDDEN, UPSTREAMS, Stack, wait_until

V1_UPSTREAMS = [u.name for u in UPSTREAMS if u.sdk == "1.x"]


def run(coro, timeout: float = 120):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def assert_denied(result, code: str, text: str | None = None) -> None:
    assert result.isError, f"expected a {code} denial, got {result}"
    assert text_of(result).startswith("[POLICY DENIED] "), text_of(result)
    assert (decision_of(result) or {}).get("code") == code, result.meta
    if text:
        assert text in text_of(result)


async def enforcement_checks(session) -> None:
    listed = [tool.name for tool in (await session.list_tools()).tools]
    assert len(listed) == 36 - len(HIDDEN), listed
    assert not set(HIDDEN) & set(listed)
    allowed = await session.call_tool("list-pods", {})
    assert not allowed.isError, text_of(allowed)
    assert "pod_demo1" in text_of(allowed)
    assert_denied(await session.call_tool("create-pod", {"imageName": "runpod/pytorch:latest"}), "deny_if", "Pin an image tag.")
    assert_denied(await session.call_tool("start-pod", {"podId": "pod_demo1"}), "default_deny")
    error = await call_error(session, HIDDEN[0], {})
    assert error.code == -32602 and error.message == f"Unknown tool: {HIDDEN[0]}", error
    missing = await session.call_tool("get-pod", {"podId": "pod_nope"})  # the upstream's own tool error
    assert missing.isError and decision_of(missing) is None and "not found" in text_of(missing)


# --- transports and protocol eras -------------------------------------------------------------------


@pytest.mark.parametrize("upstream", V1_UPSTREAMS)
def test_sdk1_client_through_nginx_enforced_per_transport_mode(stack: Stack, upstream: str) -> None:
    """JSON and SSE answers, stateful and stateless upstreams; protocol 2025-11-25."""
    grant = stack.new_grant(upstream, f"sdk1-{upstream}")

    async def scenario() -> None:
        async with sdk1_session(grant.gateway_url, grant.token) as session:
            assert session.init_result.protocolVersion == "2025-11-25"
            await enforcement_checks(session)

    run(scenario())


@pytest.mark.parametrize("upstream", ["sse-stateful", "json-stateless"])
def test_sdk1_client_protocol_2025_06_18(stack: Stack, upstream: str) -> None:
    grant = stack.new_grant(upstream, f"sdk1-0618-{upstream}")

    async def scenario() -> None:
        async with sdk1_session(grant.gateway_url, grant.token, protocol_version="2025-06-18") as session:
            assert session.init_result.protocolVersion == "2025-06-18"
            await enforcement_checks(session)

    run(scenario())


def test_sdk1_client_on_the_secret_url(stack: Stack) -> None:
    grant = stack.new_grant("json-stateful", "sdk1-secret-url")
    assert grant.secret_url.startswith(stack.lb) and "/g/" in grant.secret_url

    async def scenario() -> None:
        async with sdk1_session(grant.secret_url) as session:
            assert not (await session.call_tool("list-pods", {})).isError

    run(scenario())


def _check_sdk2_report(report: dict, protocol: str) -> None:
    assert report["protocol_version"] == protocol, report
    assert len(report["tools"]) == 36 - len(HIDDEN) and not set(HIDDEN) & set(report["tools"])
    assert report["allowed"]["is_error"] is False and "pod_demo1" in report["allowed"]["text"]
    for key, code in (("deny_if", "deny_if"), ("default_deny", "default_deny")):
        assert report[key]["is_error"] is True and report[key]["text"].startswith("[POLICY DENIED] "), report[key]
        assert report[key]["meta"]["portcullis/decision"]["code"] == code, report[key]
    assert report["hidden"] == {"error": {"code": -32602, "message": f"Unknown tool: {HIDDEN[0]}"}}, report["hidden"]
    assert report["stop_pod"]["is_error"] is False, report["stop_pod"]


@pytest.mark.parametrize("upstream", ["sse-stateful", "json-stateless"])
def test_sdk2_client_through_nginx_to_sdk1_upstream(stack: Stack, venv2, upstream: str) -> None:
    """The 2.x client probes 2026-07-28 first; a 1.x upstream does not speak it, so it falls back
    to the initialize handshake, through the gateway."""
    if venv2 is None:
        pytest.skip("no --venv2")
    grant = stack.new_grant(upstream, f"sdk2-{upstream}")
    _check_sdk2_report(sdk2_report(venv2, grant.gateway_url, grant.token), "2025-11-25")


@pytest.mark.parametrize("mode,protocol", [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
def test_sdk2_client_through_nginx_to_sdk2_upstream(stack: Stack, venv2, mode: str, protocol: str) -> None:
    """SDK 2.x at both ends: MCP 2026-07-28 (stateless, no initialize) and the handshake era."""
    if venv2 is None:
        pytest.skip("no --venv2")
    grant = stack.new_grant("v2-sse-stateful", f"sdk2-v2-{mode}")
    _check_sdk2_report(sdk2_report(venv2, grant.gateway_url, grant.token, mode=mode), protocol)


# --- several workers --------------------------------------------------------------------------------


def test_session_requests_spread_over_workers(stack: Stack) -> None:
    """nginx round-robins without sticky sessions: one SDK session's requests reach both workers."""
    grant = stack.new_grant("sse-stateful", "spread")
    trace = Trace()

    async def scenario() -> None:
        async with sdk1_session(grant.gateway_url, grant.token, trace=trace) as session:
            for _ in range(8):
                result = await session.call_tool("list-pods", {})
                assert not result.isError, text_of(result)

    run(scenario())
    served = {worker for worker in trace.workers if worker}
    assert served == {w.address for w in stack.workers}, trace.workers
    assert len(set(trace.session_ids)) == 1, "the session id changed between workers"


def test_worker_killed_mid_session_session_continues(stack: Stack) -> None:
    grant = stack.new_grant("sse-stateful", "killed-worker")
    trace = Trace()
    victim = stack.workers[0]

    async def scenario() -> None:
        async with sdk1_session(grant.gateway_url, grant.token, trace=trace) as session:
            for _ in range(4):
                assert not (await session.call_tool("list-pods", {})).isError
            assert victim.address in trace.workers
            await asyncio.to_thread(stack.kill_worker, 0)
            before = len(trace.workers)
            created = await session.call_tool("create-pod", {"imageName": "runpod/pytorch:2.1.0", "name": "after-kill"})
            assert not created.isError, text_of(created)
            pod = json.loads(text_of(created))["id"]
            for _ in range(4):
                got = await session.call_tool("get-pod", {"podId": pod})
                assert not got.isError, text_of(got)
            # nginx names every worker it tried ("dead, live" when it moved on); the last one answered.
            answered = [w.split(", ")[-1] for w in trace.workers[before:] if w]
            assert answered and victim.address not in answered, trace.workers[before:]

    try:
        run(scenario())
    finally:
        stack.restart_worker(0)


def test_400_concurrent_calls_against_max_100_exactly_100_allowed(stack: Stack) -> None:
    """40 clients × 10 concurrent calls through both workers; the shared counter allows exactly 100."""
    now = dt.datetime.now(dt.timezone.utc)
    if now.hour == 23 and now.minute == 59 and now.second > 30:  # the day window must not turn mid-burst
        time.sleep(61 - now.second)
    grant = stack.new_grant("json-stateless", "burst")
    calls_before = stack.upstream_calls("json-stateless")
    traces = [Trace() for _ in range(40)]
    outcomes: Counter = Counter()

    async def client(trace: Trace) -> None:
        async with sdk1_session(grant.gateway_url, grant.token, trace=trace) as session:
            results = await asyncio.gather(*[session.call_tool("list-data-centers", {}) for _ in range(10)])
            for result in results:
                outcomes["allowed" if not result.isError else (decision_of(result) or {}).get("code", "error")] += 1

    async def burst() -> None:
        await asyncio.gather(*[client(trace) for trace in traces])

    run(burst(), timeout=240)
    assert outcomes == Counter({"allowed": 100, "rate_limited": 300}), outcomes
    assert stack.upstream_calls("json-stateless") - calls_before == 100
    served = {w for trace in traces for w in trace.workers if w}
    assert served == {w.address for w in stack.workers}, served


def test_approval_decided_through_api_while_another_worker_holds_the_call(stack: Stack) -> None:
    """The held call waits on one worker; the human decides through the control plane's API; the
    worker learns it through PostgreSQL and forwards the call."""
    grant = stack.new_grant("sse-stateful", "approval")
    trace = Trace()

    def approve_pending() -> dict:
        def pending():
            items = stack.api("GET", "/v1/approvals?status=pending&limit=200")["items"]
            return next((a for a in items if a["grant_id"] == grant.id and a["tool"] == "delete-pod"), None)
        approval = wait_until(pending, 15, "a pending approval")
        time.sleep(1.0)  # the call is held meanwhile
        stack.api("POST", f"/v1/approvals/{approval['id']}/approve", {"reason": "interop test"})
        return approval

    async def scenario() -> None:
        async with sdk1_session(grant.gateway_url, grant.token, trace=trace) as session:
            created = await session.call_tool("create-pod", {"imageName": "runpod/pytorch:2.1.0", "name": "doomed"})
            pod = json.loads(text_of(created))["id"]
            started = time.monotonic()
            approver = asyncio.create_task(asyncio.to_thread(approve_pending))
            result = await session.call_tool("delete-pod", {"podId": pod})
            approval = await approver
            held = time.monotonic() - started
            assert not result.isError, text_of(result)
            assert json.loads(text_of(result)) == {"deleted": pod}
            gone = await session.call_tool("get-pod", {"podId": pod})
            assert gone.isError and "not found" in text_of(gone)
            assert 1.0 <= held < 20, held
            decided = stack.api("GET", f"/v1/approvals/{approval['id']}")
            assert decided["status"] == "consumed", decided

    run(scenario())


def test_approval_after_hold_elapsed_consumed_exactly_once_across_workers(stack: Stack) -> None:
    """A hold of 2 s runs out (approval_pending); once approved, the same call goes through once,
    whichever worker serves it; the next identical call needs a new approval."""
    grant = stack.new_grant("json-stateful", "approval-retry")
    arguments = {"networkVolumeId": "vol_missing"}

    async def scenario() -> None:
        async with sdk1_session(grant.gateway_url, grant.token) as session:
            first = await session.call_tool("delete-network-volume", arguments)
            assert_denied(first, "approval_pending", "is pending. Retry the same call after a human approves it")
            items = stack.api("GET", "/v1/approvals?status=pending&limit=200")["items"]
            approval = next(a for a in items if a["grant_id"] == grant.id)
            stack.api("POST", f"/v1/approvals/{approval['id']}/approve", {})
            forwarded = await session.call_tool("delete-network-volume", arguments)
            # Forwarded: the upstream's own answer (it has no such volume), not a policy decision.
            assert forwarded.isError and decision_of(forwarded) is None and "not found" in text_of(forwarded)
            again = await session.call_tool("delete-network-volume", arguments)
            assert_denied(again, "approval_pending")
            assert stack.api("GET", f"/v1/approvals/{approval['id']}")["status"] == "consumed"

    run(scenario())


# --- audit --------------------------------------------------------------------------------------------


def test_every_call_in_audit_log_and_chain_verifies(stack: Stack) -> None:
    grant = stack.new_grant("sse-stateless", "audited")
    expected: Counter = Counter()

    async def scenario() -> None:
        async with sdk1_session(grant.gateway_url, grant.token) as session:
            for _ in range(6):
                assert not (await session.call_tool("list-pods", {})).isError
                expected[("list-pods", "allow")] += 1
            for _ in range(3):
                assert (await session.call_tool("create-pod", {"imageName": "x:latest"})).isError
                expected[("create-pod", "deny")] += 1
            for _ in range(2):
                await call_error(session, HIDDEN[1], {})
                expected[(HIDDEN[1], "deny")] += 1

    run(scenario())

    def tool_calls():
        rows = [row for row in stack.audit(grant.id) if row["method"] == "tools/call"]
        requests = [row for row in rows if row["kind"] == "request"]
        responses = [row for row in rows if row["kind"] == "response"]
        # One "request" event per call, and a "response" event for each forwarded one.
        done = len(requests) >= sum(expected.values()) and len(responses) >= expected[("list-pods", "allow")]
        return (requests, responses) if done else None

    requests, responses = wait_until(tool_calls, 30, "every tools/call in GET /v1/audit", interval=0.3)
    assert Counter((row["tool"], row["decision"]) for row in requests) == expected
    assert Counter(row["tool"] for row in responses) == Counter({"list-pods": expected[("list-pods", "allow")]})
    rows = requests
    codes = Counter(row["code"] for row in rows if row["decision"] == "deny")
    assert codes["deny_if"] == 3, codes
    verify = stack.api("GET", "/v1/audit/verify")
    assert verify["ok"] is True and verify["checked"] >= len(rows), verify


def test_audit_rows_name_the_worker_that_served_each_call(stack: Stack) -> None:
    grant = stack.new_grant("json-stateless", "audited-workers")

    async def scenario() -> None:
        async with sdk1_session(grant.gateway_url, grant.token) as session:
            for _ in range(6):
                assert not (await session.call_tool("list-pods", {})).isError

    run(scenario())
    rows = wait_until(lambda: [r for r in stack.audit(grant.id) if r["method"] == "tools/call" and r["kind"] == "request"]
                      if len([r for r in stack.audit(grant.id) if r["method"] == "tools/call" and r["kind"] == "request"]) >= 6
                      else None, 30, "six audited calls", interval=0.3)
    assert {row["worker_id"] for row in rows} == {f"interop-gw-{w.index + 1}" for w in stack.workers}


def test_hidden_tool_indistinguishable_from_a_tool_that_does_not_exist(stack: Stack) -> None:
    grant = stack.new_grant("json-stateful", "hidden-vs-missing")

    async def scenario() -> None:
        async with sdk1_session(grant.gateway_url, grant.token) as session:
            hidden = await call_error(session, HIDDEN[0], {})
            missing = await call_error(session, "no-such-tool", {})
            assert (hidden.code, hidden.message.replace(HIDDEN[0], "X")) == (missing.code, missing.message.replace("no-such-tool", "X"))

    run(scenario())


def _sse_messages(lines) -> dict:
    """Reads SSE lines until a JSON-RPC response (a message with an id and a result or error)."""
    for line in lines:
        if line.startswith("data:"):
            message = json.loads(line[5:])
            if "id" in message and ("result" in message or "error" in message):
                return message
    raise AssertionError("the stream ended without a response")


def test_held_call_streams_keepalives_through_nginx_unbuffered(stack: Stack) -> None:
    """While a call waits for a human, the worker's SSE keep-alives (comments and progress
    notifications) reach the client through nginx as they are written: nothing is buffered."""
    grant = stack.new_grant("sse-stateful", "held-sse")
    url = grant.gateway_url
    headers = {"Authorization": f"Bearer {grant.token}", "Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}
    with httpx.Client(timeout=httpx.Timeout(10, read=30)) as http:
        init = http.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "interop", "version": "1"}}})
        assert init.status_code == 200, init.text
        headers |= {"Mcp-Session-Id": init.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-11-25"}
        assert http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code == 202
        with http.stream("POST", url, headers=headers, json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "create-pod", "arguments": {"imageName": "runpod/pytorch:2.1.0", "name": "held"}}}) as created:
            pod = json.loads(_sse_messages(created.iter_lines())["result"]["content"][0]["text"])["id"]

        call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "delete-pod", "arguments": {"podId": pod}, "_meta": {"progressToken": "held-1"}}}
        started = time.monotonic()
        with http.stream("POST", url, headers=headers, json=call) as held:
            assert held.status_code == 200 and held.headers["content-type"].startswith("text/event-stream")
            lines = held.iter_lines()
            keepalives = 0
            for line in lines:
                if line.startswith(":") or "notifications/progress" in line:
                    keepalives += 1
                    if keepalives == 2:
                        break
            waited = time.monotonic() - started
            assert keepalives == 2 and waited < 8, (keepalives, waited)
            items = stack.api("GET", "/v1/approvals?status=pending&limit=200")["items"]
            approval = next(a for a in items if a["grant_id"] == grant.id and a["tool"] == "delete-pod")
            stack.api("POST", f"/v1/approvals/{approval['id']}/approve", {})
            answer = _sse_messages(lines)
        assert answer["id"] == 3 and not answer["result"].get("isError"), answer
        assert json.loads(answer["result"]["content"][0]["text"]) == {"deleted": pod}
