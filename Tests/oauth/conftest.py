"""pytest wiring of the OAuth interoperability suite (issue 14): the interop suite's stack (nginx, two
workers, one SDK 1.x upstream) with the shortest access-token lifetime the control plane takes, so
the SDKs' refresh is reached within a minute."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from harness import UPSTREAMS, Stack, serve_for_session  # noqa: E402
from suite_options import bin_dir, pytest_addoption, session_workdir, venv2  # noqa: E402,F401 - the shared options and fixtures

# Seconds: short, so each client test waits out one expiry quickly (the minimum is 10).
ACCESS_TOKEN_LIFETIME = 15
UPSTREAM = "sse-stateful"


@pytest.fixture(scope="session")
def access_token_lifetime() -> int:
    return ACCESS_TOKEN_LIFETIME


@pytest.fixture(scope="session")
def upstream() -> str:
    """The one upstream's name in `Stack.servers` and `Stack.policies`."""
    return UPSTREAM


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, bin_dir: Path, venv2: Path | None):
    workdir, kept = session_workdir(request, "portcullis-oauth.")
    stack = Stack(bin_dir=bin_dir, venv2=venv2, workdir=workdir,
                  upstream_specs=[next(u for u in UPSTREAMS if u.name == UPSTREAM)],
                  controlplane_args=["--oauth-access-token-lifetime", str(ACCESS_TOKEN_LIFETIME),
                                     # Upstream OAuth connect: refresh rounds every 2 s, so short upstream tokens are renewed in time.
                                     "--upstream-oauth-refresh-interval", "2"])
    yield from serve_for_session(stack, lambda: request.session.testsfailed, workdir, kept, "OAuth interop")
