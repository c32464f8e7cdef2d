"""The demo's RunPod-like upstream on the MCP Python SDK 2.x (run in the 2.x venv).

Same tools and in-memory account as deploy/demo/runpod_server.py (shared code, SDK-independent),
served by the 2.x low-level server, which speaks the initialize-era protocols and 2026-07-28.

    python upstream_v2.py --port 9200 [--json-response] [--stateless]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy" / "demo"))

import mcp_types as types  # noqa: E402
import uvicorn  # noqa: E402
from mcp.server.lowlevel import Server  # noqa: E402
from mcp.server.transport_security import TransportSecuritySettings  # noqa: E402
from runpod_account import RunPodAccount, ToolError  # noqa: E402
from runpod_tools import TOOLS  # noqa: E402


def build(json_response: bool, stateless: bool):
    account = RunPodAccount()
    tools = [
        types.Tool.model_validate({
            "name": name, "description": description, "inputSchema": schema,
            **({"annotations": annotations} if annotations else {}),
        })
        for name, description, schema, annotations in TOOLS
    ]

    async def on_list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            result = account.call(params.name, params.arguments or {})
        except ToolError as error:
            return types.CallToolResult(content=[types.TextContent(text=str(error))], is_error=True)
        return types.CallToolResult(content=[types.TextContent(text=json.dumps(result, sort_keys=True))])

    server = Server("runpod-v2", version="1.4.0", on_list_tools=on_list_tools, on_call_tool=on_call_tool)
    return server.streamable_http_app(
        json_response=json_response,
        stateless_http=stateless,
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1:*", "localhost:*"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*"],
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--json-response", action="store_true")
    parser.add_argument("--stateless", action="store_true")
    args = parser.parse_args()
    uvicorn.run(build(args.json_response, args.stateless), host="127.0.0.1", port=args.port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
