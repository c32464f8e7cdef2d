"""What the OAuth agent scripts (oauth_agent_v1.py, oauth_agent_v2.py) share, standard library only
so both SDK venvs import it: the line protocol with the suite (test_oauth_clients.py), the SDK's token
storage and a record of the HTTP exchanges (duck-typed: the 1.x and 2.x SDKs share these shapes).

The agent writes one JSON object a line on stdout; the suite answers on stdin the events that wait
for it:
- `{"event": "authorize", "url": ...}`: the SDK's redirect handler. The suite plays the member's
  browser on the consent page and answers `{"redirect_to": ...}`, the URL the browser would go to.
- `{"event": "checkpoint", "name": ..., ...}`: what the agent saw so far. The suite checks it, acts
  (revokes, for instance) and answers `{}` to let it go on.
- `{"event": "report", ...}`: the last line; the agent then exits.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit


def tell(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, **fields}, default=str), flush=True)


def ask(event: str, **fields: Any) -> dict[str, Any]:
    tell(event, **fields)
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("the suite closed the protocol")
    return json.loads(line)


class AuthorizationRefused(Exception):
    """The authorization server sent the browser back with an `error` instead of a code."""


def redirect_parameters(redirect_to: str) -> dict[str, str]:
    """The query of the redirect the consent page sent the browser to: code, state and iss, or error."""
    query = {name: values[0] for name, values in parse_qs(urlsplit(redirect_to).query).items()}
    if "error" in query:
        raise AuthorizationRefused(query["error"])
    return query


def describe(error: BaseException) -> str:
    """An exception as text, the leaves of an exception group included (the SDK's transport ends
    its task group with the error that stopped it)."""
    if isinstance(error, BaseExceptionGroup):
        return " | ".join(describe(leaf) for leaf in error.exceptions)
    return f"{type(error).__name__}: {error}"


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (the gateway verifies; the suite only reads)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def ask_later(event: str, **fields: Any) -> dict[str, Any]:
    """`ask` off the event loop, so the SDK's streams keep being served while the suite acts."""
    return await asyncio.to_thread(ask, event, **fields)


class RecordingStorage:
    """The SDK's `TokenStorage`, in memory, keeping every token set it was given (the exchange and
    each refresh), so the suite sees the rotation."""

    def __init__(self) -> None:
        self.tokens: list[Any] = []
        self.client: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens[-1] if self.tokens else None

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens.append(tokens)

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info

    def state(self) -> dict[str, Any]:
        client = self.client.model_dump(mode="json", include={"client_id", "client_secret", "token_endpoint_auth_method"}) \
            if self.client else None
        return {"tokens": [token.model_dump(mode="json") for token in self.tokens], "client": client}


class Requests:
    """Every HTTP exchange of the agent, the SDK's OAuth requests included (an httpx response hook),
    handed to the suite at each checkpoint."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def hook(self, response: Any) -> None:
        self.seen.append({"method": response.request.method, "url": str(response.request.url).split("?")[0],
                          "status": response.status_code, "worker": response.headers.get("x-portcullis-worker", "")})

    def drain(self) -> list[dict[str, Any]]:
        seen, self.seen = self.seen, []
        return seen


async def expired(provider: Any, limit: float = 600) -> None:
    """Until the SDK itself holds its access token for expired (its clock, the answer's `expires_in`)."""
    deadline = time.monotonic() + limit
    while provider.context.is_token_valid():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the SDK still holds its access token for valid after {limit}s")
        await asyncio.sleep(0.2)


class Scenario:
    def __init__(self) -> None:
        self.storage = RecordingStorage()
        self.requests = Requests()
        self.redirects: list[str] = []
        self.revoked = False

    async def redirect_handler(self, url: str) -> None:
        """The SDK's redirect handler: the suite consents as the member's browser would."""
        answer = await ask_later("authorize", url=url)
        self.redirects.append(answer["redirect_to"])

    def redirected(self) -> dict[str, str]:
        """For the SDK's callback handler: the parameters the browser came back with."""
        return redirect_parameters(self.redirects.pop())

    async def run(self, session: Any, outcome: Any, provider: Any, protocol_version: str) -> dict[str, Any]:
        tools = [tool.name for tool in (await session.list_tools()).tools]
        await ask_later("checkpoint", name="called", protocol_version=protocol_version, tools=tools,
                        allowed=outcome(await session.call_tool("list-pods", {})),
                        deny_if=outcome(await session.call_tool("create-pod", {"imageName": "runpod/pytorch:latest"})),
                        start_pod=outcome(await session.call_tool("start-pod", {"podId": "pod_demo1"})),
                        requests=self.requests.drain(), **self.storage.state())
        await expired(provider)
        await ask_later("checkpoint", name="refreshed", allowed=outcome(await session.call_tool("list-pods", {})),
                        requests=self.requests.drain(), **self.storage.state())
        self.revoked = True
        answered = outcome(await session.call_tool("list-pods", {}))
        return {"after_revocation": {"answered": answered}, "requests": self.requests.drain()}

    def refused(self, error: Exception) -> dict[str, Any]:
        """After the revocation, the error that ended the session is the outcome; before, a failure."""
        if not self.revoked:
            exchanges = "".join(f"\n  {r['method']} {r['url']} -> {r['status']} {r['worker']}" for r in self.requests.drain())
            print(f"HTTP exchanges before the failure:{exchanges}", file=sys.stderr)
            raise error
        return {"after_revocation": {"error": describe(error)}, "requests": self.requests.drain()}
