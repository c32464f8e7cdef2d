"""The member's browser on the consent page (issue 14 item 2), played over HTTP: what the page's
script does, request by request, so the suite consents headlessly and checks each answer.

`/oauth/authorize` answers 303 to `/oauth/consent?request=<id>`; the page signs the member in by
`POST /v1/login {"session": true}` (the session cookie, SameSite=Strict, path /v1), reads
`GET /v1/oauth/requests/<id>` and posts the decision, which answers the `redirect_to` URL the
browser goes to (the client's redirect URI with code, state and iss). Cookie-authenticated writes
carry `X-Portcullis-CSRF` (ConsoleSession.checkCSRF), as the console's scripts do.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from harness import MEMBER_EMAIL, MEMBER_PASSWORD, Stack

CSRF = {"X-Portcullis-CSRF": "1"}
SESSION_COOKIE = "portcullis_session"


class MemberBrowser:
    def __init__(self, stack: Stack) -> None:
        self.cp = stack.cp
        self.http = httpx.Client(timeout=30)
        self.consent_pages: list[str] = []

    def close(self) -> None:
        self.http.close()

    def sign_in(self) -> None:
        response = self.http.post(f"{self.cp}/v1/login", headers=CSRF,
                                  json={"email": MEMBER_EMAIL, "password": MEMBER_PASSWORD, "session": True})
        assert response.status_code == 200, f"POST /v1/login: {response.status_code} {response.text}"
        assert "api_key" not in response.json(), "a session login must not answer the key in the body"
        assert self.http.cookies.get(SESSION_COOKIE), f"no {SESSION_COOKIE} cookie: {response.headers}"

    def open_authorization(self, url: str) -> dict[str, Any]:
        """Follows the client's authorization URL to the consent page, signs in when the session is
        missing, and answers the pending request as `GET /v1/oauth/requests/<id>` shows it."""
        response = self.http.get(url)
        assert response.status_code == 303, f"GET {url}: {response.status_code} {response.text}"
        consent = response.headers["location"]
        assert consent.startswith(f"{self.cp}/oauth/consent?request="), consent
        request_id = parse_qs(urlsplit(consent).query)["request"][0]
        page = self.http.get(consent)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), \
            f"GET {consent}: {page.status_code} {page.headers.get('content-type')}"
        self.consent_pages.append(consent)
        pending = self.http.get(f"{self.cp}/v1/oauth/requests/{request_id}")
        if pending.status_code == 401:
            self.sign_in()
            pending = self.http.get(f"{self.cp}/v1/oauth/requests/{request_id}")
        assert pending.status_code == 200, f"GET /v1/oauth/requests/{request_id}: {pending.status_code} {pending.text}"
        request = pending.json()
        assert request["id"] == request_id, request
        return request

    def decide(self, request_id: str, decision: dict[str, Any]) -> str:
        """Posts the member's decision; answers the URL the page sends the browser to."""
        refused = self.http.post(f"{self.cp}/v1/oauth/requests/{request_id}/decision", json=decision)
        assert refused.status_code == 403, f"a decision without {next(iter(CSRF))} must be refused: {refused.status_code}"
        response = self.http.post(f"{self.cp}/v1/oauth/requests/{request_id}/decision", headers=CSRF, json=decision)
        assert response.status_code == 200, f"decision on {request_id}: {response.status_code} {response.text}"
        return response.json()["redirect_to"]
