"""pytest wiring of the console's browser suite (issue 12): the interop suite's stack with one SDK
upstream and no account (the browser signs up), and one headless chromium for every step."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from harness import UPSTREAMS, Stack, serve_for_session  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--bin", default=os.environ.get("PORTCULLIS_BIN"), help="folder with the controlplane and gateway binaries")
    parser.addoption("--workdir", default=None, help="folder for PostgreSQL, logs and spools")
    parser.addoption("--screenshots", default=str(ROOT / ".build/console-screenshots"), help="where each page's screenshot goes")


@pytest.fixture(scope="session")
def stack(request: pytest.FixtureRequest):
    bin_dir = request.config.getoption("--bin")
    if not bin_dir:
        pytest.skip("no --bin: the browser suite needs the controlplane and gateway binaries")
    given = request.config.getoption("--workdir")
    workdir = Path(given) if given else Path(tempfile.mkdtemp(prefix="portcullis-console."))
    upstream = next(u for u in UPSTREAMS if u.name == "json-stateless")
    stack = Stack(bin_dir=Path(bin_dir).resolve(), venv2=None, workdir=workdir, worker_count=1,
                  upstream_specs=[upstream], set_up_account=False)
    yield from serve_for_session(stack, lambda: request.session.testsfailed, workdir, given is not None, "console")


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                     "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver is Debian's: Selenium must not look for (or download) another.
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    shots = Path(request.config.getoption("--screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    driver.screenshots = shots
    yield driver
    driver.quit()
