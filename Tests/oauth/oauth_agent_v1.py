"""An agent on the MCP Python SDK 1.x OAuth client (`OAuthClientProvider`), run in the 1.x venv by
the suite (test_oauth_clients.py); the scenario and the protocol are agent_support.py's.

    python oauth_agent_v1.py MCP_URL --redirect-uri URI [--client-metadata-url URL] [--client-name NAME]

Without `--client-metadata-url` the SDK registers itself (RFC 7591, with its default metadata).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import httpx
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata

from agent_support import Scenario, tell


def outcome(result: Any) -> dict[str, Any]:
    return {
        "is_error": result.isError,
        "text": " ".join(block.text for block in result.content if getattr(block, "type", "") == "text"),
        "code": ((result.meta or {}).get("portcullis/decision") or {}).get("code"),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    scenario = Scenario()

    async def callback_handler() -> tuple[str, str | None]:
        query = scenario.redirected()
        return query["code"], query.get("state")

    provider = OAuthClientProvider(
        server_url=args.url,
        client_metadata=OAuthClientMetadata(redirect_uris=[args.redirect_uri], client_name=args.client_name),
        storage=scenario.storage, redirect_handler=scenario.redirect_handler, callback_handler=callback_handler)
    if args.client_metadata_url:
        # The SDK takes only https client ids; the suite's document is on loopback http (the control
        # plane cannot be given a test CA), so the URL is set past the constructor's check.
        provider.context.client_metadata_url = args.client_metadata_url
    http = httpx.AsyncClient(auth=provider, timeout=httpx.Timeout(30, read=120),
                             event_hooks={"response": [scenario.requests.hook]})
    try:
        async with http, streamable_http_client(args.url, http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                return await scenario.run(session, outcome, provider, init.protocolVersion)
    except Exception as error:  # noqa: BLE001 - after the revocation, the refusal is the outcome
        return scenario.refused(error)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--client-metadata-url")
    parser.add_argument("--client-name", default="Portcullis interop agent (SDK 1.x)")
    args = parser.parse_args()
    tell("report", **asyncio.run(asyncio.wait_for(run(args), 280)))


if __name__ == "__main__":
    main()
