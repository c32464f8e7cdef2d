"""pytest wiring of the interoperability suite: options and the one stack every test shares."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from harness import Stack, serve_for_session


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bin", default=os.environ.get("PORTCULLIS_BIN"),
                     help="folder with the controlplane and gateway binaries")
    parser.addoption("--venv2", default=os.environ.get("PORTCULLIS_INTEROP_V2_VENV"),
                     help="venv with the MCP Python SDK 2.x (its client and upstream)")
    parser.addoption("--workdir", default=None, help="folder for PostgreSQL, logs and spools (default: a new temporary one)")


@pytest.fixture(scope="session")
def bin_dir(request: pytest.FixtureRequest) -> Path:
    value = request.config.getoption("--bin")
    if not value:
        pytest.skip("no --bin: the gateway tests need the controlplane and gateway binaries")
    path = Path(value).resolve()
    for binary in ("controlplane", "gateway"):
        if not (path / binary).exists():
            pytest.fail(f"{path / binary} does not exist")
    return path


@pytest.fixture(scope="session")
def venv2(request: pytest.FixtureRequest) -> Path | None:
    value = request.config.getoption("--venv2")
    return Path(value).resolve() if value else None


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, bin_dir: Path, venv2: Path | None):
    given = request.config.getoption("--workdir")
    workdir = Path(given) if given else Path(tempfile.mkdtemp(prefix="portcullis-interop."))
    stack = Stack(bin_dir=bin_dir, venv2=venv2, workdir=workdir)
    yield from serve_for_session(stack, lambda: request.session.testsfailed, workdir, given is not None, "interop")
