"""pytest wiring of the compose test (Tests/deploy/compose_test.sh)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bin", default=None, help="folder with the controlplane and gateway binaries the test image holds")
    parser.addoption("--compose-venv", default=None, help="venv with podman-compose")
