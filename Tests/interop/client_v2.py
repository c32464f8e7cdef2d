"""An agent on the MCP Python SDK 2.x client, run in the 2.x venv by the suite (test_interop.py).

    python client_v2.py URL TOKEN [--mode auto|legacy|2026-07-28]

Connects through the gateway, then prints one JSON object: the negotiated protocol version, the
listed tool names, and the outcome of an allowed call, a deny_if denial, a default denial and a
call of a hidden tool.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError


def outcome(result: Any) -> dict[str, Any]:
    return {
        "is_error": result.is_error,
        "text": " ".join(block.text for block in result.content if getattr(block, "type", "") == "text"),
        "meta": result.meta,
    }


async def call(client: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    try:
        return outcome(await client.call_tool(name, arguments))
    except MCPError as error:
        return {"error": {"code": error.code, "message": error.message}}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--mode", default="auto")
    args = parser.parse_args()
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {args.token}"}, timeout=httpx2.Timeout(30, read=120))
    async with http:
        transport = streamable_http_client(args.url, http_client=http)
        async with Client(transport, mode=args.mode, cache=None) as client:
            report: dict[str, Any] = {"protocol_version": client.session.protocol_version}
            report["tools"] = [tool.name for tool in (await client.list_tools()).tools]
            report["allowed"] = await call(client, "list-pods", {})
            report["deny_if"] = await call(client, "create-pod", {"imageName": "runpod/pytorch:latest"})
            report["default_deny"] = await call(client, "start-pod", {"podId": "pod_demo1"})
            report["hidden"] = await call(client, "delete-endpoint", {"endpointId": "ep_1"})
            report["stop_pod"] = await call(client, "stop-pod", {"podId": "pod_demo1"})
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    asyncio.run(main())
