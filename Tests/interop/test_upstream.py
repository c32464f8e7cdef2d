"""The demo upstream on its own (no gateway): the official SDK client sees the 36 RunPod tools, their
schemas and annotations, and the in-memory behaviour, in every transport mode."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import httpx
import pytest

from clients import sdk1_session, text_of
from harness import ROOT, free_port, wait_until

MODES = {
    "sse-stateful": ["--sse"],
    "json-stateful": ["--json-response"],
    "sse-stateless": ["--sse", "--stateless"],
    "json-stateless": ["--json-response", "--stateless"],
}


@pytest.fixture(scope="module", params=list(MODES))
def upstream(request: pytest.FixtureRequest):
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "deploy/demo/runpod_server.py"), "--port", str(port),
                                *MODES[request.param]], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200, 30, "upstream up")
        yield request.param, f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_demo_upstream_serves_the_runpod_tools_to_the_sdk_client(upstream) -> None:
    mode, url = upstream

    async def scenario() -> None:
        async with sdk1_session(url) as session:
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert len(tools) == 36
            assert tools["create-pod"].inputSchema["required"] == ["imageName"]
            assert tools["list-pods"].annotations.readOnlyHint is True
            assert tools["delete-pod"].annotations.destructiveHint is True
            assert tools["stop-pod"].annotations is None and tools["stop-pod"].description is None

            created = await session.call_tool("create-pod", {"imageName": "runpod/pytorch:2.1.0", "name": "t"})
            assert not created.isError, text_of(created)
            pod = json.loads(text_of(created))["id"]
            listed = json.loads(text_of(await session.call_tool("list-pods", {})))["pods"]
            assert pod in [p["id"] for p in listed]
            stopped = json.loads(text_of(await session.call_tool("stop-pod", {"podId": pod})))
            assert stopped["desiredStatus"] == "EXITED"
            assert not (await session.call_tool("delete-pod", {"podId": pod})).isError
            missing = await session.call_tool("get-pod", {"podId": pod})
            assert missing.isError and "not found" in text_of(missing)
            invalid = await session.call_tool("create-network-volume", {"name": "v", "size": 9000, "dataCenterId": "EU-RO-1"})
            assert invalid.isError and "Input validation error" in text_of(invalid)

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_demo_upstream_answers_in_its_transport_mode(upstream) -> None:
    mode, url = upstream
    response = httpx.post(url, timeout=10, headers={"Accept": "application/json, text/event-stream"}, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    assert response.status_code == 200
    expected = "application/json" if mode.startswith("json") else "text/event-stream"
    assert response.headers["content-type"].startswith(expected)
    assert ("mcp-session-id" in response.headers) == (not mode.endswith("stateless"))
    assert httpx.get(url, timeout=10, headers={"Accept": "text/event-stream", "Host": "evil.example"}).status_code == 421
