"""The visual policy editor in a real browser (issue 12 item 3).

Builds the seed's policy with the form (default deny, `stop-pod` custom with a 10-per-minute
limit), checks that the JSON tab shows exactly the seed's document and saves it; places a
validation error on the field its pointer names; simulates a call; shows the version history with
its author and diff; shows a viewer the page read-only; and checks the browser log on every page.

Run: `PORTCULLIS_BIN="$(swift build --show-bin-path)" python -m pytest Tests/console/test_policy_editor.py`
(or `--bin` where a conftest defines it) in a venv with Selenium, pytest and httpx, and the MCP
SDK 1.x for the RunPod-like upstream (deploy/demo/requirements.txt); Debian's chromium and
chromium-driver. Screenshots go to PORTCULLIS_SCREENSHOTS (default .build/console-screenshots).

The stack here is the smallest the editor needs: a private PostgreSQL, the control plane and the
demo's RunPod-like upstream, started with the interoperability suite's process helpers.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/interop"))
from harness import Process, free_port, wait_until  # noqa: E402

# The seed page's policy (shared seeds; docs/policy-language.md "The seed's policy"), printed as the
# JSON tab must print it: the language's key order, two-space indentation.
SEED = {
    "version": "1",
    "default": "deny",
    "tools": {"stop-pod": {"limits": [{"counter": "stop-pod_rate", "window": "minute", "max": 10, "scope": "grant"}]}},
}
PASSWORD = "correct horse battery"
SCREENSHOTS = Path(os.environ.get("PORTCULLIS_SCREENSHOTS", ROOT / ".build/console-screenshots"))


# --- the stack ---------------------------------------------------------------------------------

class EditorStack:
    def __init__(self, bin_dir: Path, workdir: Path):
        self.bin_dir, self.workdir, self.procs = bin_dir, workdir, []

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o755)
        conninfo = subprocess.run([str(ROOT / "deploy/scripts/postgres.sh"), "start", str(self.workdir / "pg")],
                                  check=True, capture_output=True, text=True).stdout.strip()
        subprocess.run(["psql", conninfo, "-qc", "CREATE DATABASE portcullis"], check=True, capture_output=True)
        self.cp_port, upstream_port = free_port(), free_port()
        env = {**os.environ, "PORTCULLIS_DATABASE_URL": conninfo.replace("dbname=postgres", "dbname=portcullis"),
               "PORTCULLIS_SECRET_KEYS": "v1:" + base64.b64encode(os.urandom(32)).decode(),
               "PORTCULLIS_ALLOW_UPSTREAM_CIDRS": "127.0.0.0/8", "PORTCULLIS_ALLOW_PLAIN_HTTP_UPSTREAMS": "true",
               "PORTCULLIS_LOG_LEVEL": "warning"}
        self._spawn("upstream", [sys.executable, str(ROOT / "deploy/demo/runpod_server.py"), "--port", str(upstream_port)])
        self._spawn("controlplane", [str(self.bin_dir / "controlplane"), "serve", "--host", "127.0.0.1",
                                     "--port", str(self.cp_port), "--password-hash-iterations", "1000"], env=env)
        wait_until(lambda: httpx.get(f"{self.cp}/readyz", timeout=2).status_code == 200, 60, "control plane ready")
        wait_until(lambda: httpx.post(f"http://127.0.0.1:{upstream_port}/mcp", timeout=2).status_code < 500, 30, "upstream up")

        signup = httpx.post(f"{self.cp}/v1/signup", timeout=30, json={
            "account_name": "Editor", "email": "admin@editor.example", "password": PASSWORD})
        assert signup.status_code == 201, signup.text
        self.api_key = signup.json()["api_key"]
        self.server = self.api("POST", "/v1/servers", {"name": "runpod", "url": f"http://127.0.0.1:{upstream_port}/mcp"})
        assert self.server["status"] == "active", self.server
        self.api("POST", "/v1/members", {"email": "viewer@editor.example", "password": PASSWORD, "role": "viewer"})

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        process = Process(name, argv, self.workdir / "logs" / f"{name}.log", env=env)
        process.start()
        self.procs.append(process)

    def stop(self) -> None:
        for process in reversed(self.procs):
            process.stop()
        subprocess.run([str(ROOT / "deploy/scripts/postgres.sh"), "stop", str(self.workdir / "pg")], capture_output=True, timeout=60)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail(15)}" for p in self.procs)

    @property
    def cp(self) -> str:
        return f"http://127.0.0.1:{self.cp_port}"

    def api(self, method: str, path: str, body=None):
        response = httpx.request(method, f"{self.cp}{path}", json=body, timeout=30, headers={"Authorization": f"Bearer {self.api_key}"})
        assert response.status_code in (200, 201, 204), f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


def binary_folder(config) -> Path | None:
    """`--bin` where a conftest defines it (the interop suite's does), else PORTCULLIS_BIN."""
    value = os.environ.get("PORTCULLIS_BIN")
    try:
        value = config.getoption("--bin") or value
    except ValueError:
        pass
    return Path(value).resolve() if value else None


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest):
    bin_dir = binary_folder(request.config)
    if bin_dir is None or not (bin_dir / "controlplane").exists():
        pytest.skip("no controlplane binary: pass --bin or PORTCULLIS_BIN")
    workdir = Path(tempfile.mkdtemp(prefix="portcullis-editor."))
    stack = EditorStack(bin_dir, workdir)
    try:
        stack.start()
    except BaseException:
        print(stack.logs())
        stack.stop()
        raise
    yield stack
    failed = request.session.testsfailed
    stack.stop()
    if failed:
        print(stack.logs())
    shutil.rmtree(workdir, ignore_errors=True)


def new_browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


def log_in(driver, stack: EditorStack, email: str) -> None:
    """Through the console's own login page, so the session cookie and CSRF header are the real ones."""
    driver.get(f"{stack.cp}/console#/login")
    wait_for(driver, lambda d: d.find_element(By.NAME, "email")).send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#nav a"))
    # Before login the shell's GET /v1/me is a 401 by design (the console suite checks the login
    # page); the log is read from here on, so the editor's pages are judged on their own.
    driver.get_log("browser")


@pytest.fixture(scope="module")
def admin(stack):
    driver = new_browser()
    log_in(driver, stack, "admin@editor.example")
    yield driver
    driver.quit()


# --- the editor's controls ---------------------------------------------------------------------

def field_id(pointer: str, field: str = "") -> str:
    """The id policy-editor/dom.js gives the control of `pointer` (and `field` under it)."""
    text = pointer + ("/" + field if field else "")
    return "pe" + "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" + format(ord(c), "x") for c in text)


def wait_for(driver, condition, timeout: float = 15):
    return WebDriverWait(driver, timeout).until(condition)


def open_editor(driver, stack: EditorStack, policy: str) -> None:
    driver.get(f"{stack.cp}/console#/policies/{policy}")
    wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, 'select[data-tool="stop-pod"]'))


def choose(driver, element_id: str, value: str) -> None:
    Select(wait_for(driver, lambda d: d.find_element(By.ID, element_id))).select_by_value(value)


def type_into(driver, element_id: str, text: str) -> None:
    element = wait_for(driver, lambda d: d.find_element(By.ID, element_id))
    element.clear()
    element.send_keys(text)


def json_tab_text(driver) -> str:
    driver.find_element(By.ID, "pe-json-panel-tab").click()
    text = driver.find_element(By.ID, "pe-json").get_attribute("value")
    driver.find_element(By.ID, "pe-form-panel-tab").click()
    return text


def replace_json(driver, document) -> None:
    """Types into the JSON tab as a person pasting would: the box's text, then its input event."""
    driver.find_element(By.ID, "pe-json-panel-tab").click()
    box = driver.find_element(By.ID, "pe-json")
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                          box, json.dumps(document, indent=2))


def severe_log_entries(driver, provoked_validation_failures: bool = False) -> list[dict]:
    """SEVERE browser log entries. Chrome logs every non-2xx fetch; when the test itself typed an
    invalid document, the 400 of POST /v1/policies/validate is the API's contract, not an error."""
    entries = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    if provoked_validation_failures:
        entries = [e for e in entries if not ("/v1/policies/validate" in e["message"] and "status of 400" in e["message"])]
    return entries


def screenshot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


# --- tests ---------------------------------------------------------------------------------------

def test_seed_policy_built_visually_shows_the_seed_document_and_saves(admin, stack):
    open_editor(admin, stack, "new")
    choose(admin, field_id("/default"), "deny")
    choose(admin, field_id("/tools/stop-pod", "state"), "custom")
    wait_for(admin, lambda d: d.find_element(By.ID, field_id("/tools/stop-pod/limits", "add"))).click()
    type_into(admin, field_id("/tools/stop-pod/limits/0/counter"), "stop-pod_rate")
    choose(admin, field_id("/tools/stop-pod/limits/0/window"), "minute")
    type_into(admin, field_id("/tools/stop-pod/limits/0/max"), "10")
    choose(admin, field_id("/tools/stop-pod/limits/0/scope"), "grant")
    type_into(admin, "pe-name", "runpod-seed")

    assert json_tab_text(admin) == json.dumps(SEED, indent=2)

    admin.find_element(By.ID, "pe-save").click()
    wait_for(admin, lambda d: "/policies/new" not in d.current_url and d.find_elements(By.CSS_SELECTOR, ".pe-version"))
    policy_id = admin.current_url.rsplit("/", 1)[-1]
    saved = stack.api("GET", f"/v1/policies/{policy_id}")
    assert saved["document"] == SEED and saved["version"] == 1 and saved["server_id"] == stack.server["id"]
    assert "admin@editor.example" in admin.find_element(By.CSS_SELECTOR, '.pe-version[data-version="1"]').text

    type_into(admin, "pe-tool-filter", "stop-pod")
    screenshot(admin, "policy-editor")
    assert severe_log_entries(admin) == []


def test_validation_error_lands_on_the_field_its_pointer_names(admin, stack):
    policy = stack.api("POST", "/v1/policies", {"name": "to-break", "server_id": stack.server["id"], "document": SEED})
    open_editor(admin, stack, policy["id"])
    broken = json.loads(json.dumps(SEED))
    broken["tools"]["stop-pod"]["limits"][0]["window"] = "week"
    replace_json(admin, broken)

    pointer = "/tools/stop-pod/limits/0/window"
    listed = wait_for(admin, lambda d: d.find_element(By.CSS_SELECTOR, f'.pe-json-errors [data-error-pointer="{pointer}"]'))
    assert "must be one of second, minute, hour, day" in listed.text and "line 9" in listed.text
    admin.find_element(By.ID, "pe-form-panel-tab").click()
    window = admin.find_element(By.ID, field_id(pointer))
    assert window.get_attribute("aria-invalid") == "true"
    message = admin.find_element(By.ID, window.get_attribute("aria-errormessage"))
    assert message.get_attribute("data-error-pointer") == pointer
    assert message.text == "must be one of second, minute, hour, day"
    # The message sits right after the window's own field, inside that limit.
    assert admin.execute_script("return arguments[0].closest('.pe-field').nextElementSibling === arguments[1]", window, message)

    # Fixing it in the form clears the error, and the JSON tab follows the form.
    choose(admin, field_id(pointer), "minute")
    wait_for(admin, lambda d: not d.find_elements(By.CSS_SELECTOR, ".pe-error[data-error-pointer]"))
    assert json.loads(json_tab_text(admin)) == SEED
    assert severe_log_entries(admin, provoked_validation_failures=True) == []


def test_saving_again_adds_a_version_with_its_diff_and_simulation_decides_with_it(admin, stack):
    policy = stack.api("POST", "/v1/policies", {"name": "versioned", "server_id": stack.server["id"], "document": SEED})
    open_editor(admin, stack, policy["id"])
    choose(admin, field_id("/tools/list-pods", "state"), "allow")
    choose(admin, field_id("/tools/delete-pod", "state"), "hide")
    admin.find_element(By.ID, "pe-save").click()
    wait_for(admin, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".pe-version")) == 2)
    assert stack.api("GET", f"/v1/policies/{policy['id']}")["document"] == {
        **SEED, "hide": ["delete-pod"], "tools": {**SEED["tools"], "list-pods": {}}}

    admin.find_element(By.CSS_SELECTOR, '.pe-version[data-version="2"] button').click()
    added = [e.text for e in admin.find_elements(By.CSS_SELECTOR, ".pe-diff .pe-diff-added")]
    assert '+   "hide": [' in added and '+     "delete-pod"' in added and '+     "list-pods": {},' in added

    choose(admin, "pe-sim-tool", "start-pod")
    admin.find_element(By.ID, "pe-sim-run").click()
    decision = wait_for(admin, lambda d: d.find_element(By.CSS_SELECTOR, ".pe-decision"))
    assert decision.get_attribute("data-decision") == "deny"
    assert "default_deny" in decision.text and "(default deny)" in decision.text
    choose(admin, "pe-sim-tool", "stop-pod")
    admin.find_element(By.ID, "pe-sim-run").click()
    wait_for(admin, lambda d: d.find_element(By.CSS_SELECTOR, '.pe-decision[data-decision="allow"]'))
    assert "stop-pod_rate" in admin.find_element(By.CSS_SELECTOR, ".pe-counters").text
    assert severe_log_entries(admin) == []


def test_viewer_sees_the_policy_read_only(stack):
    policy = stack.api("POST", "/v1/policies", {"name": "for-viewers", "server_id": stack.server["id"], "document": SEED})
    driver = new_browser()
    try:
        log_in(driver, stack, "viewer@editor.example")
        open_editor(driver, stack, policy["id"])
        assert driver.find_elements(By.ID, "pe-save") == [] and driver.find_elements(By.ID, "pe-recommended") == []
        assert all(not s.is_enabled() for s in driver.find_elements(By.CSS_SELECTOR, ".pe-form select"))
        assert driver.find_elements(By.CSS_SELECTOR, ".pe-form button") == []
        assert driver.find_element(By.ID, "pe-json").get_attribute("readonly") is not None
        driver.get(f"{stack.cp}/console#/policies")
        wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, f'tr[data-policy="{policy["id"]}"]'))
        assert driver.find_elements(By.ID, "pe-new-policy") == []
        assert severe_log_entries(driver) == []
    finally:
        driver.quit()
