"""The official MCP Python SDK's OAuth clients through nginx and two gateway workers (issue 14, Tests):
each discovers the metadata from the gateway's 401, registers (a Client ID Metadata Document, or
RFC 7591 registration), completes the authorization code flow against our consent page (played by
MemberBrowser), calls tools under the policy the member chose, refreshes after its access token
expired, and is refused after the member revoked the authorization. URLs and names are the issue's
contract (the control plane's `--public-url` is the issuer; a server's resource URL is
`<public gateway URL>/mcp/<serverId>`)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from agent_process import AgentProcess
from agent_support import jwt_claims
from client_metadata import ClientMetadataDocument
from harness import HIDDEN, Stack, free_port, wait_until
from member_browser import MemberBrowser

SCOPES = {"mcp:read", "mcp:call"}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
AGENTS = {"1.x": "oauth_agent_v1.py", "2.x": "oauth_agent_v2.py"}
# The member's choice per registration: the suite's restrictive policy, or one that allows everything,
# so each client's answers show it acts under the policy chosen for it.
POLICY = {"cimd": "interop", "dcr": "allow-all"}
PROPAGATION = "the new authorization had not reached the worker the first call met (snapshot propagation)"


def ids_of(claims: dict[str, Any]) -> tuple[str, str, str]:
    """The token's authorization, grant and identity ids, lowercase as the API writes them (a Swift
    `UUID` claim encodes uppercase)."""
    return claims["pcs_authorization"].lower(), claims["pcs_grant"].lower(), claims["sub"].lower()


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def worker_statuses(stack: Stack, url: str, token: str) -> list[int]:
    """Each worker's status (directly, not through nginx) for a ping with the token; a 401 must say
    `invalid_token`."""
    statuses = []
    for worker in stack.workers:
        response = httpx.post(f"http://{worker.address}{urlsplit(url).path}", json=PING, timeout=5,
                              headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})
        if response.status_code == 401:
            assert 'error="invalid_token"' in response.headers.get("www-authenticate", ""), response.headers
        statuses.append(response.status_code)
    return statuses


def refused_everywhere(stack: Stack, url: str, token: str) -> bool:
    return set(worker_statuses(stack, url, token)) == {401}


@pytest.fixture(scope="module")
def browser(stack: Stack):
    browser = MemberBrowser(stack)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def policies(stack: Stack, upstream: str) -> dict[str, str]:
    allow_all = stack.api("POST", "/v1/policies", {"name": "allow-all", "server_id": stack.servers[upstream],
                                                   "document": {"version": "1", "default": "allow"}})
    return {"interop": stack.policies[upstream], "allow-all": allow_all["id"]}


@pytest.fixture(scope="module")
def as_metadata(stack: Stack) -> dict[str, Any]:
    response = httpx.get(f"{stack.cp}/.well-known/oauth-authorization-server", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


# --- discovery ----------------------------------------------------------------------------------------


def test_the_401_leads_to_resource_and_authorization_server_metadata(stack: Stack, upstream: str,
                                                                    as_metadata: dict[str, Any]) -> None:
    """What the SDKs read before anything else: the 401's WWW-Authenticate (from nginx and from each
    worker), RFC 9728 metadata naming the control plane, and its RFC 8414 metadata and keys."""
    server_id = stack.servers[upstream]
    resource = f"{stack.lb}/mcp/{server_id}"
    prm_url = f"{stack.lb}/.well-known/oauth-protected-resource/mcp/{server_id}"
    for base in [stack.lb, *(f"http://{w.address}" for w in stack.workers)]:
        response = httpx.post(f"{base}/mcp/{server_id}", json=PING, headers=MCP_HEADERS, timeout=10)
        assert response.status_code == 401, f"{base}: {response.status_code} {response.text}"
        challenge = response.headers["www-authenticate"]
        assert challenge.startswith("Bearer "), challenge
        assert f'resource_metadata="{prm_url}"' in challenge and 'scope="mcp:read mcp:call"' in challenge, challenge

    prm = httpx.get(prm_url, timeout=10).json()
    assert prm["resource"] == resource, prm
    assert prm["authorization_servers"] == [stack.cp], prm
    assert set(prm["scopes_supported"]) == SCOPES and prm["bearer_methods_supported"] == ["header"], prm
    root = httpx.get(f"{stack.lb}/.well-known/oauth-protected-resource", timeout=10)
    assert root.status_code == 200 and root.json()["authorization_servers"] == [stack.cp], root.text

    metadata = as_metadata
    assert metadata["issuer"] == stack.cp, metadata
    for key, path in (("authorization_endpoint", "/oauth/authorize"), ("token_endpoint", "/oauth/token"),
                      ("registration_endpoint", "/oauth/register"), ("revocation_endpoint", "/oauth/revoke"),
                      ("jwks_uri", "/oauth/jwks")):
        assert metadata[key] == stack.cp + path, (key, metadata)
    assert metadata["code_challenge_methods_supported"] == ["S256"], metadata
    assert metadata["client_id_metadata_document_supported"] is True, metadata
    assert metadata["authorization_response_iss_parameter_supported"] is True, metadata
    assert set(metadata["scopes_supported"]) == SCOPES, metadata
    assert {"authorization_code", "refresh_token"} <= set(metadata["grant_types_supported"]), metadata
    assert metadata["response_types_supported"] == ["code"], metadata
    keys = httpx.get(metadata["jwks_uri"], timeout=10).json()["keys"]
    assert keys and all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["kid"] for k in keys), keys


# --- the SDK clients, from the 401 to the revocation ---------------------------------------------------


@pytest.mark.parametrize("sdk,registration", [("1.x", "cimd"), ("1.x", "dcr"), ("2.x", "cimd"), ("2.x", "dcr")])
def test_sdk_oauth_client_consents_calls_refreshes_and_is_refused_after_revocation(
        stack: Stack, venv2: Path | None, browser: MemberBrowser, policies: dict[str, str], as_metadata: dict[str, Any],
        upstream: str, access_token_lifetime: int, sdk: str, registration: str) -> None:
    if sdk == "2.x" and venv2 is None:
        pytest.skip("no --venv2")
    python = Path(sys.executable) if sdk == "1.x" else venv2 / "bin/python"
    server_id = stack.servers[upstream]
    gateway_url = f"{stack.lb}/mcp/{server_id}"
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"  # never opened: the suite hands the redirect over
    label = f"oauth-sdk{sdk[0]}-{registration}"
    policy = POLICY[registration]

    with contextlib.ExitStack() as cleanup:
        args = [gateway_url, "--redirect-uri", redirect_uri]
        document = None
        if registration == "cimd":
            document = cleanup.enter_context(ClientMetadataDocument(label, f"Portcullis {label}", redirect_uri))
            args += ["--client-metadata-url", document.url]
        agent = AgentProcess(python, AGENTS[sdk], args, stack.workdir / "logs" / f"agent-{label}.log")
        cleanup.callback(agent.close)

        # Discovery, registration and consent: the SDK sends the member to the authorization endpoint.
        authorize = agent.expect("authorize", timeout=90)["url"]
        assert authorize.startswith(as_metadata["authorization_endpoint"] + "?"), authorize
        asked = query_of(authorize)
        assert asked["code_challenge_method"] == "S256" and asked["resource"] == gateway_url, asked
        assert set(asked["scope"].split()) == SCOPES, asked
        request = browser.open_authorization(authorize)
        if document:
            assert asked["client_id"] == document.url and request["client_id"] == document.url, (asked, request)
            assert request["client_name"] == document.client_name, request
            assert document.fetches >= 1, "the control plane never fetched the client's metadata document"
        else:
            assert not asked["client_id"].startswith("http"), asked  # a registered client id
        assert request["redirect_uri"] == redirect_uri and request["resource"] == gateway_url, request
        assert request["server"]["id"] == server_id, request
        assert policies[policy] in [p["id"] for p in request["policies"]], request
        redirect_to = browser.decide(request["id"], {"decision": "allow", "identity_label": label,
                                                     "policy_id": policies[policy]})
        assert redirect_to.startswith(redirect_uri + "?"), redirect_to
        returned = query_of(redirect_to)
        assert returned["state"] == asked["state"] and returned["iss"] == stack.cp and returned["code"], returned
        agent.answer({"redirect_to": redirect_to})

        # Tools under the chosen policy, through both workers. A 401 right after the code exchange
        # sends 2.x back to authorization and ends 1.x's session with the 401.
        try:
            called = agent.next_event(timeout=120)
        except AssertionError as error:
            raise AssertionError(f"{error}\n(if its log shows a 401 right after POST /oauth/token: {PROPAGATION})") from None
        assert called["event"] != "authorize", f"the SDK was sent back to authorization right after consent: {PROPAGATION}"
        assert called.get("name") == "called", called
        client_id = called["client"]["client_id"]
        assert client_id == (document.url if document else asked["client_id"]), called["client"]
        check_calls(called, policy)
        token = called["tokens"][-1]
        assert token["token_type"].lower() == "bearer" and token["expires_in"] == access_token_lifetime, token
        claims = jwt_claims(token["access_token"])
        assert claims["iss"] == stack.cp and claims["aud"] in (gateway_url, [gateway_url]), claims
        assert claims["client_id"] == client_id and set(claims["scope"].split()) == SCOPES, claims
        authorization_id, grant_id, identity_id = ids_of(claims)
        grants = stack.api("GET", f"/v1/grants?server={server_id}")["items"]
        grant = next(g for g in grants if g["id"] == grant_id)
        assert grant["identity_id"] == identity_id and grant["policy_id"] == policies[policy], grant
        exchanges = called["requests"]
        assert exchanges[0]["url"] == gateway_url and exchanges[0]["status"] == 401, exchanges[:3]
        if registration == "dcr":
            assert any(r["method"] == "POST" and r["url"] == as_metadata["registration_endpoint"] and r["status"] == 201
                       for r in exchanges), exchanges
        served = {r["worker"] for r in exchanges if r["url"] == gateway_url and r["status"] < 300}
        assert served == {w.address for w in stack.workers}, exchanges
        check_audit(stack, grant_id, label, client_id)
        if (sdk, registration) == ("1.x", "cimd"):
            # Once is enough: the expired token is refused (after the gateway's clock leeway), checked
            # before the revocation so that only the expiry can be the reason.
            wait_until(lambda: refused_everywhere(stack, gateway_url, token["access_token"]), access_token_lifetime + 90,
                       "the expired access token refused by every worker", interval=1)
        agent.answer({})

        # Past the lifetime, the SDK refreshes (rotating the refresh token) without a new consent.
        refreshed = agent.next_event(timeout=access_token_lifetime + 60)
        assert refreshed["event"] != "authorize", "the SDK had to authorize again instead of refreshing"
        assert refreshed.get("name") == "refreshed", refreshed
        assert refreshed["allowed"]["is_error"] is False, refreshed["allowed"]
        assert len(refreshed["tokens"]) > len(called["tokens"]), refreshed["tokens"]
        fresh = refreshed["tokens"][-1]
        assert fresh["access_token"] != token["access_token"], "the refresh answered the same access token"
        assert fresh["refresh_token"] and fresh["refresh_token"] != token["refresh_token"], "the refresh token was not rotated"
        assert any(r["url"] == as_metadata["token_endpoint"] and r["status"] == 200 for r in refreshed["requests"]), \
            refreshed["requests"]
        assert ids_of(jwt_claims(fresh["access_token"])) == ids_of(claims), jwt_claims(fresh["access_token"])

        # The member revokes; every worker refuses the (still fresh) token once the snapshot carries
        # the revocation, and the token endpoint refuses the refresh token.
        assert 401 not in worker_statuses(stack, gateway_url, fresh["access_token"]), "the fresh token was refused before the revocation"
        stack.api("DELETE", f"/v1/oauth/authorizations/{authorization_id}")
        wait_until(lambda: refused_everywhere(stack, gateway_url, fresh["access_token"]), 30,
                   "the revoked authorization's token refused by every worker", interval=0.2)
        check_refresh_refused(as_metadata["token_endpoint"], fresh["refresh_token"], called["client"], gateway_url)
        agent.answer({})

        # The SDK meets the 401 and sends the member to consent again; the member says no.
        again = agent.next_event(timeout=60)
        assert again["event"] == "authorize", f"after the revocation the SDK did not ask to authorize again: {again}"
        request = browser.open_authorization(again["url"])
        denied = browser.decide(request["id"], {"decision": "deny"})
        assert query_of(denied).get("error") == "access_denied" and query_of(denied)["state"] == query_of(again["url"])["state"], denied
        agent.answer({"redirect_to": denied})
        report = agent.expect("report", timeout=60)
        assert "access_denied" in report["after_revocation"].get("error", ""), report["after_revocation"]
        assert any(r["url"] == gateway_url and r["status"] == 401 for r in report["requests"]), report["requests"]


def check_calls(called: dict[str, Any], policy: str) -> None:
    tools, allowed, deny_if, start_pod = called["tools"], called["allowed"], called["deny_if"], called["start_pod"]
    assert allowed["is_error"] is False and "pod_demo1" in allowed["text"], allowed
    if policy == "interop":
        assert len(tools) == 36 - len(HIDDEN) and not set(HIDDEN) & set(tools), tools
        assert deny_if["is_error"] and deny_if["code"] == "deny_if" and "Pin an image tag." in deny_if["text"], deny_if
        assert start_pod["is_error"] and start_pod["code"] == "default_deny", start_pod
    else:
        assert len(tools) == 36 and set(HIDDEN) <= set(tools), tools
        assert deny_if["code"] is None and start_pod["code"] is None, (deny_if, start_pod)


def check_audit(stack: Stack, grant_id: str, label: str, client_id: str) -> None:
    """The calls are audited on the consent's grant, as the identity, naming the OAuth client."""
    def calls() -> list[dict[str, Any]] | None:
        rows = [r for r in stack.audit(grant_id) if r["method"] == "tools/call" and r["kind"] == "request"]
        return rows if len(rows) >= 3 else None
    rows = wait_until(calls, 30, f"the tool calls of grant {grant_id} in GET /v1/audit", interval=0.3)
    for row in rows:
        assert row["identity_label"] == label, row
        assert (row["auth_method"], row["auth_client_id"]) == ("oauth", client_id), row


def check_refresh_refused(token_endpoint: str, refresh_token: str, client: dict[str, Any], resource: str) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client["client_id"],
            "resource": resource}
    auth = None
    if client.get("client_secret"):
        if client.get("token_endpoint_auth_method") == "client_secret_post":
            form["client_secret"] = client["client_secret"]
        else:
            auth = (client["client_id"], client["client_secret"])
    response = httpx.post(token_endpoint, data=form, auth=auth, timeout=10)
    assert response.status_code == 400 and response.json().get("error") == "invalid_grant", \
        f"a revoked authorization's refresh token: {response.status_code} {response.text}"
