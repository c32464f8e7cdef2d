"""An OAuth-protected MCP upstream with its own authorization server (issue 14 item 5, upstream OAuth
connect), built like the MCP Python SDK's `examples/servers/simple-auth`: the authorization server
is the SDK's `create_auth_routes` over an in-memory provider (dynamic registration, PKCE S256,
rotating refresh tokens), the resource server a FastMCP app with the SDK's auth settings, so it
answers 401 with `resource_metadata` and serves its Protected Resource Metadata. The demo login of
simple-auth is replaced by an authorization that approves at once (the suite is headless).

The `whoami` tool answers the access token the call came with, so the suite sees which identity's
token reached the upstream. `POST <as>/admin/revoke` revokes every token (the user ending the grant
at the upstream); `GET <as>/admin/issued` lists the access tokens issued, in order.

Usage: protected_upstream.py --as-port N --rs-port M --expires-in SECONDS
"""

from __future__ import annotations

import argparse
import secrets
import threading
import time

import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (AccessToken, AuthorizationCode, AuthorizationParams, ProviderTokenVerifier,
                                      RefreshToken, construct_redirect_uri)
from mcp.server.auth.routes import create_auth_routes
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.fastmcp import FastMCP
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SCOPE = "upstream:tools"
# The server's own token, for the control plane's tool discovery (a per-identity server still lists
# its tools with the server's credential).
DISCOVERY_TOKEN = "discovery-token"


class InstantProvider:
    """simple-auth's provider, less the login page: every authorization is approved at once."""

    def __init__(self, expires_in: int):
        self.expires_in = expires_in
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.issued: list[str] = []

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        self.clients[client_info.client_id] = client_info

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        code = AuthorizationCode(
            code=f"code_{secrets.token_hex(16)}", client_id=client.client_id, redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly, expires_at=time.time() + 300,
            scopes=params.scopes or [SCOPE], code_challenge=params.code_challenge, resource=params.resource,
            subject=f"user-{len(self.codes) + 1}")
        self.codes[code.code] = code
        return construct_redirect_uri(str(params.redirect_uri), code=code.code, state=params.state)

    async def load_authorization_code(self, client: OAuthClientInformationFull, authorization_code: str) -> AuthorizationCode | None:
        return self.codes.get(authorization_code)

    async def exchange_authorization_code(self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode) -> OAuthToken:
        del self.codes[authorization_code.code]
        return self._issue(client.client_id, authorization_code.scopes, authorization_code.resource, authorization_code.subject)

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        token = self.refresh.get(refresh_token)
        return token if token and token.client_id == client.client_id else None

    async def exchange_refresh_token(self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]) -> OAuthToken:
        del self.refresh[refresh_token.token]  # rotation: each refresh token works once
        return self._issue(client.client_id, scopes or refresh_token.scopes, refresh_token.resource, refresh_token.subject)

    async def load_access_token(self, token: str) -> AccessToken | None:
        if token == DISCOVERY_TOKEN:
            return AccessToken(token=token, client_id="discovery", scopes=[SCOPE])
        access = self.access.get(token)
        if access is None or (access.expires_at is not None and access.expires_at < time.time()):
            return None
        return access

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)

    def _issue(self, client_id: str, scopes: list[str], resource: str | None, subject: str | None) -> OAuthToken:
        access, refresh = f"access_{secrets.token_hex(16)}", f"refresh_{secrets.token_hex(16)}"
        self.access[access] = AccessToken(token=access, client_id=client_id, scopes=scopes, resource=resource, subject=subject,
                                          expires_at=int(time.time()) + self.expires_in)
        self.refresh[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes, resource=resource, subject=subject)
        self.issued.append(access)
        return OAuthToken(access_token=access, token_type="Bearer", expires_in=self.expires_in, refresh_token=refresh,
                          scope=" ".join(scopes))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--as-port", type=int, required=True)
    parser.add_argument("--rs-port", type=int, required=True)
    parser.add_argument("--expires-in", type=int, default=3600)
    args = parser.parse_args()
    provider = InstantProvider(args.expires_in)
    issuer = f"http://127.0.0.1:{args.as_port}"

    async def revoke(_: Request) -> JSONResponse:
        provider.access.clear()
        provider.refresh.clear()
        return JSONResponse({"revoked": True})

    async def issued(_: Request) -> JSONResponse:
        return JSONResponse({"access_tokens": provider.issued})

    authorization_server = Starlette(routes=[
        *create_auth_routes(provider, issuer_url=AnyHttpUrl(issuer),
                            client_registration_options=ClientRegistrationOptions(enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE]),
                            revocation_options=RevocationOptions(enabled=True)),
        Route("/admin/revoke", revoke, methods=["POST"]),
        Route("/admin/issued", issued, methods=["GET"]),
    ])

    resource_server = FastMCP(
        "protected-upstream", host="127.0.0.1", port=args.rs_port, stateless_http=True, json_response=True,
        token_verifier=ProviderTokenVerifier(provider),
        auth=AuthSettings(issuer_url=AnyHttpUrl(issuer), resource_server_url=AnyHttpUrl(f"http://127.0.0.1:{args.rs_port}/mcp"),
                          required_scopes=[SCOPE]))

    @resource_server.tool()
    def whoami() -> str:
        """The access token this call came with."""
        token = get_access_token()
        return token.token if token else ""

    threading.Thread(target=lambda: uvicorn.run(authorization_server, host="127.0.0.1", port=args.as_port, log_level="warning"),
                     daemon=True).start()
    resource_server.run(transport="streamable-http")


if __name__ == "__main__":
    main()
