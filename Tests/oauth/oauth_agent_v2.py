"""An agent on the MCP Python SDK 2.x OAuth client, run in the 2.x venv by the suite
(test_oauth_clients.py); the scenario and the protocol are agent_support.py's.

    python oauth_agent_v2.py MCP_URL --redirect-uri URI [--client-metadata-url URL] [--client-name NAME]

What differs from 1.x: the transport is httpx2, the callback handler answers an
`AuthorizationCodeResult` whose `iss` the SDK checks against the metadata's issuer (RFC 9207; the
metadata says `authorization_response_iss_parameter_supported`, so a missing `iss` is refused too),
a registration the SDK cannot use is refused before authorizing, and the session is `mcp.Client`.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import httpx2
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata

from agent_support import Scenario, tell


def outcome(result: Any) -> dict[str, Any]:
    return {
        "is_error": result.is_error,
        "text": " ".join(block.text for block in result.content if getattr(block, "type", "") == "text"),
        "code": ((result.meta or {}).get("portcullis/decision") or {}).get("code"),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    scenario = Scenario()

    async def callback_handler() -> AuthorizationCodeResult:
        query = scenario.redirected()
        return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

    provider = OAuthClientProvider(
        server_url=args.url,
        client_metadata=OAuthClientMetadata(redirect_uris=[args.redirect_uri], client_name=args.client_name),
        storage=scenario.storage, redirect_handler=scenario.redirect_handler, callback_handler=callback_handler)
    if args.client_metadata_url:
        # As in oauth_agent_v1.py: the SDK takes only https client ids, the suite serves loopback http.
        provider.context.client_metadata_url = args.client_metadata_url
    http = httpx2.AsyncClient(auth=provider, timeout=httpx2.Timeout(30, read=120),
                              event_hooks={"response": [scenario.requests.hook]})
    try:
        async with http:
            async with Client(streamable_http_client(args.url, http_client=http), cache=None) as client:
                return await scenario.run(client, outcome, provider, client.session.protocol_version)
    except Exception as error:  # noqa: BLE001 - after the revocation, the refusal is the outcome
        return scenario.refused(error)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--client-metadata-url")
    parser.add_argument("--client-name", default="Portcullis interop agent (SDK 2.x)")
    args = parser.parse_args()
    tell("report", **asyncio.run(asyncio.wait_for(run(args), 280)))


if __name__ == "__main__":
    main()
