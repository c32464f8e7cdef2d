"""Agents for the suite: the official MCP Python SDK 1.x client (in process) and 2.x (a subprocess)."""

from __future__ import annotations

import contextlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import mcp.types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

HERE = Path(__file__).resolve().parent


@dataclass
class Trace:
    """What the HTTP layer saw: which worker nginx picked for each request, and the statuses."""

    workers: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    session_ids: list[str] = field(default_factory=list)

    async def hook(self, response: httpx.Response) -> None:
        self.workers.append(response.headers.get("x-portcullis-worker", ""))
        self.statuses.append(response.status_code)
        if response.headers.get("mcp-session-id"):
            self.session_ids.append(response.headers["mcp-session-id"])


@contextlib.asynccontextmanager
async def sdk1_session(url: str, token: str | None = None, trace: Trace | None = None,
                       protocol_version: str | None = None) -> AsyncIterator[ClientSession]:
    """An initialized SDK 1.x session; `protocol_version` makes the client offer an older version."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    hooks = {"response": [trace.hook]} if trace else {}
    http = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=120), event_hooks=hooks)
    saved = mcp.types.LATEST_PROTOCOL_VERSION
    async with http, streamable_http_client(url, http_client=http) as (read, write, _):
        async with ClientSession(read, write) as session:
            if protocol_version:
                mcp.types.LATEST_PROTOCOL_VERSION = protocol_version  # what ClientSession.initialize offers
            try:
                session.init_result = await session.initialize()
            finally:
                mcp.types.LATEST_PROTOCOL_VERSION = saved
            yield session


def text_of(result: Any) -> str:
    return " ".join(block.text for block in result.content if getattr(block, "type", "") == "text")


def decision_of(result: Any) -> dict[str, Any] | None:
    return (result.meta or {}).get("portcullis/decision")


async def call_error(session: ClientSession, name: str, arguments: dict[str, Any]) -> mcp.types.ErrorData:
    """Calls a tool that must answer with a JSON-RPC error, and returns that error."""
    try:
        result = await session.call_tool(name, arguments)
    except McpError as error:
        return error.error
    raise AssertionError(f"{name} answered a result instead of an error: {result}")


def sdk2_report(venv2: Path, url: str, token: str, mode: str = "auto", timeout: float = 90) -> dict[str, Any]:
    done = subprocess.run([str(venv2 / "bin/python"), str(HERE / "client_v2.py"), url, token, "--mode", mode],
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"SDK 2.x client failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])
