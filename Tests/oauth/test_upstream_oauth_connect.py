"""Upstream OAuth connect (issue 14 item 5) against an OAuth-protected upstream built on the official
MCP Python SDK's auth support (protected_upstream.py, like the SDK's simple-auth example), through
nginx and two workers: an admin starts the connect, the member's browser (played headlessly) follows
the authorization URL, and the identity's calls reach the upstream with the identity's own access
token; the control plane refreshes it after its short lifetime, and once the grant is revoked at the
upstream's authorization server the identity's calls get the gateway's clear error."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import McpError

from clients import sdk1_session, text_of
from harness import Grant, Stack, free_port, wait_until

HERE = Path(__file__).resolve().parent
# Seconds an upstream access token lives: short, so the refresher's work shows within the test.
UPSTREAM_TOKEN_LIFETIME = 10


class ProtectedUpstream:
    def __init__(self, stack: Stack):
        self.as_port, self.rs_port = free_port(), free_port()
        stack._spawn("protected-upstream", [sys.executable, str(HERE / "protected_upstream.py"), "--as-port", str(self.as_port),
                                            "--rs-port", str(self.rs_port), "--expires-in", str(UPSTREAM_TOKEN_LIFETIME)])
        for port in (self.as_port, self.rs_port):
            wait_until(lambda p=port: socket.create_connection(("127.0.0.1", p), timeout=2).close() or True, 30, "protected upstream up")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rs_port}/mcp"

    def issued(self) -> list[str]:
        return httpx.get(f"http://127.0.0.1:{self.as_port}/admin/issued", timeout=5).json()["access_tokens"]

    def revoke_all(self) -> None:
        httpx.post(f"http://127.0.0.1:{self.as_port}/admin/revoke", timeout=5).raise_for_status()


def leaves(error: BaseException) -> list[Any]:
    """The exceptions in a (nested) exception group."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def whoami(grant: Grant) -> tuple[str | None, str | None]:
    """(the token the upstream saw, None) or (None, the gateway's JSON-RPC error message)."""
    async def call() -> tuple[str | None, str | None]:
        # Under per_identity even `initialize` goes upstream with the identity's credential, so the
        # error may come from the session's start (inside the SDK's task group) or from the call.
        errors: list[str] = []
        try:
            async with sdk1_session(grant.gateway_url, grant.token) as session:
                result = await session.call_tool("whoami", {})
        except* McpError as group:
            errors = [error.error.message for error in leaves(group)]
        if errors:
            return None, errors[0]
        return (None, f"tool error: {text_of(result)}") if result.isError else (text_of(result), None)
    return asyncio.run(asyncio.wait_for(call(), 60))


def follow_as_browser(authorization_url: str) -> httpx.Response:
    """The member's browser: the authorization server approves at once and redirects back to the
    control plane's callback, which answers the page."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        approved = browser.get(authorization_url)
        assert approved.status_code in (302, 303, 307), approved.text
        return browser.get(approved.headers["location"])


@pytest.fixture(scope="module")
def protected(stack: Stack) -> ProtectedUpstream:
    return ProtectedUpstream(stack)


def test_an_identity_connects_calls_with_its_own_token_is_refreshed_and_refused_after_revocation(stack: Stack, protected: ProtectedUpstream):
    # Discovery lists the tools with the server's own token; each identity's calls carry its own.
    server = stack.api("POST", "/v1/servers", {"name": "protected", "url": protected.url, "credential_mode": "per_identity",
                                               "auth": {"type": "bearer", "token": "discovery-token"}})
    assert server["status"] == "active", server
    policy = stack.api("POST", "/v1/policies", {"name": "protected-allow", "server_id": server["id"],
                                                "document": {"version": "1", "default": "allow"}})
    identity = stack.api("POST", "/v1/identities", {"label": "oauth-alice"})
    raw = stack.api("POST", "/v1/grants", {"identity_id": identity["id"], "server_id": server["id"], "policy_id": policy["id"]})
    grant = Grant(raw["id"], raw["token"], server["id"], raw["gateway_url"], raw["secret_url"], raw)
    for worker in stack.workers:
        stack.wait_grant_known(worker, grant)

    # Not connected yet: the gateway's clear error, nothing sent with another credential.
    token, error = whoami(grant)
    assert token is None and "has no upstream credential" in (error or ""), error

    credential_path = f"/v1/identities/{identity['id']}/credentials/{server['id']}"
    started = stack.api("POST", credential_path + "/oauth", {})
    page = follow_as_browser(started["authorization_url"])
    assert page.status_code == 200 and "connected" in page.text, page.text
    credential = stack.api("GET", credential_path)
    assert credential["source"] == "oauth" and credential["oauth"]["status"] == "connected", credential
    assert "access_" not in str(credential) and "refresh_" not in str(credential)

    # The upstream sees a token its authorization server issued to our client for this identity.
    seen: dict[str, Any] = {}

    def own_token_arrives() -> bool:
        seen["token"], seen["error"] = whoami(grant)
        return seen["token"] is not None
    wait_until(own_token_arrives, 30, "the identity's access token reaching the workers", interval=0.5)
    first = protected.issued()[0]
    assert seen["token"] in protected.issued() and seen["token"] != "discovery-token", seen

    # After the first token's lifetime the calls still work, with a refreshed token.
    time.sleep(UPSTREAM_TOKEN_LIFETIME + 1)

    def refreshed_token_used() -> bool:
        seen["token"], seen["error"] = whoami(grant)
        return seen["token"] is not None and seen["token"] != first
    wait_until(refreshed_token_used, 30, "a refreshed access token in use", interval=0.5)
    assert seen["token"] in protected.issued()[1:], seen

    # Revoked at the upstream: the refresher gets invalid_grant, the token is withdrawn, and the
    # calls get the gateway's clear error instead of the upstream's 401.
    protected.revoke_all()

    def refused_clearly() -> bool:
        seen["token"], seen["error"] = whoami(grant)
        return seen["token"] is None and "has no upstream credential" in (seen["error"] or "")
    wait_until(refused_clearly, 45, "the clear error after revocation", interval=1)
    failed = stack.api("GET", credential_path)
    assert failed["auth"] is None and failed["oauth"]["status"] == "failed" and "invalid_grant" in failed["oauth"]["error"], failed
