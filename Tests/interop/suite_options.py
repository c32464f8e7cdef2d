"""The options and fixtures every suite on the interop stack shares (Tests/interop, Tests/oauth):
where the binaries are, the SDK 2.x venv, and a kept work folder. A pytest plugin: a suite's
conftest imports its hook and fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


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


def session_workdir(request: pytest.FixtureRequest, prefix: str) -> tuple[Path, bool]:
    """The stack's folder: `--workdir` (kept), or a new temporary one; and whether it was given."""
    given = request.config.getoption("--workdir")
    return (Path(given) if given else Path(tempfile.mkdtemp(prefix=prefix))), given is not None
