"""A Client ID Metadata Document (the client's `client_id` is the URL of its metadata), served by
the suite on loopback for the control plane to fetch through its SSRF guard. The guard lets it reach
127.0.0.0/8 over plain http because the stack starts the control plane with
PORTCULLIS_ALLOW_UPSTREAM_CIDRS=127.0.0.0/8 and PORTCULLIS_ALLOW_PLAIN_HTTP_UPSTREAMS=true (the
flags the interop suite already uses for its upstreams)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ClientMetadataDocument:
    def __init__(self, name: str, client_name: str, redirect_uri: str) -> None:
        self.path = f"/clients/{name}.json"
        self.client_name = client_name
        self.redirect_uri = redirect_uri
        self.fetches = 0
        document = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path != document.path:
                    self.send_error(404)
                    return
                document.fetches += 1
                body = json.dumps(document.metadata()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def metadata(self) -> dict[str, Any]:
        return {
            "client_id": self.url,
            "client_name": self.client_name,
            "redirect_uris": [self.redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }

    def __enter__(self) -> "ClientMetadataDocument":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
