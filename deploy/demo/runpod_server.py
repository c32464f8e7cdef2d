"""A RunPod-like MCP server for the Portcullis demo and interoperability tests.

Built on the official MCP Python SDK's low-level server (`mcp` from PyPI, pinned in
requirements.txt), with the 36 tools of the RunPod MCP server (runpod_tools.py) and an in-memory
account: pods, endpoints, jobs, templates, network volumes and registry credentials. Nothing
leaves the process. Streamable HTTP on loopback at /mcp.

    python runpod_server.py --port 9100 [--json-response | --sse] [--stateless]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import mcp.types as types
import uvicorn
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runpod_account import RunPodAccount, ToolError  # noqa: E402
from runpod_tools import TOOLS  # noqa: E402


def tool_definitions() -> list[types.Tool]:
    tools = []
    for name, description, schema, annotations in TOOLS:
        tools.append(types.Tool(
            name=name,
            description=description,
            inputSchema=schema,
            annotations=types.ToolAnnotations(**annotations) if annotations else None,
        ))
    return tools


def build_server(account: RunPodAccount, name: str = "runpod") -> Server:
    server: Server = Server(name, version="1.4.0", instructions="RunPod-like demo server (in memory).")
    definitions = tool_definitions()

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return definitions

    @server.call_tool()  # validates arguments against the input schema before this runs
    async def call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        try:
            result = account.call(name, arguments)
        except ToolError as error:
            return types.CallToolResult(content=[types.TextContent(type="text", text=str(error))], isError=True)
        return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(result, sort_keys=True))])

    return server


def build_app(json_response: bool, stateless: bool, account: RunPodAccount | None = None) -> Starlette:
    account = account or RunPodAccount()
    server = build_server(account)
    manager = StreamableHTTPSessionManager(
        app=server,
        json_response=json_response,
        stateless=stateless,
        # The SDK's DNS-rebinding guard, as FastMCP enables it for a server on loopback.
        security_settings=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        ),
    )

    async def handle_mcp(scope: Any, receive: Any, send: Any) -> None:
        await manager.handle_request(scope, receive, send)

    class MCPEndpoint:  # a plain ASGI app, so Route passes GET/POST/DELETE through untouched
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await handle_mcp(scope, receive, send)

    async def stats(_: Request) -> JSONResponse:
        # For tests: how many tool calls reached this upstream, and the pods it holds.
        with account.lock:
            return JSONResponse({"calls": account.calls, "pods": sorted(account.pods)})

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette):
        async with manager.run():
            yield

    return Starlette(
        routes=[Route("/mcp", endpoint=MCPEndpoint()), Route("/stats", stats), Route("/healthz", health)],
        lifespan=lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="listen address (loopback by default)")
    parser.add_argument("--port", type=int, default=9100)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json-response", dest="json_response", action="store_true",
                      help="answer POSTs with application/json (the SDK's json_response=True)")
    mode.add_argument("--sse", dest="json_response", action="store_false",
                      help="answer POSTs with text/event-stream (the SDK's default)")
    parser.add_argument("--stateless", action="store_true", help="no sessions (the SDK's stateless_http=True)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    app = build_app(json_response=args.json_response, stateless=args.stateless)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)


if __name__ == "__main__":
    main()
