"""pytest wiring of the interoperability suite: options and the one stack every test shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import Stack, serve_for_session
from suite_options import bin_dir, pytest_addoption, session_workdir, venv2  # noqa: F401 - the shared options and fixtures


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest, bin_dir: Path, venv2: Path | None):
    workdir, kept = session_workdir(request, "portcullis-interop.")
    stack = Stack(bin_dir=bin_dir, venv2=venv2, workdir=workdir)
    yield from serve_for_session(stack, lambda: request.session.testsfailed, workdir, kept, "interop")
