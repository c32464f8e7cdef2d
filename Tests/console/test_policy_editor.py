"""The visual policy editor in a real browser (issue 12 item 3).

Builds the seed's policy with the form (default deny, `stop-pod` custom with a 10-per-minute
limit), checks that the JSON tab shows exactly the seed's document and saves it; places a
validation error on the field its pointer names; simulates a call; shows the version history with
its author and diff; shows a viewer the page read-only; and checks the browser log on every page.

Runs on the console suite's stack and browser (conftest.py: PostgreSQL, the control plane, a
gateway worker, the SDK upstream, one headless chromium) in an account of its own, signed up
through the API, so it shares no data with test_console.py; it logs the browser out and in as its
own admin, then as its own viewer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

# The seed page's policy (shared seeds; docs/policy-language.md "The seed's policy"), printed as the
# JSON tab must print it: the language's key order, two-space indentation.
SEED = {
    "version": "1",
    "default": "deny",
    "tools": {"stop-pod": {"limits": [{"counter": "stop-pod_rate", "window": "minute", "max": 10, "scope": "grant"}]}},
}
PASSWORD = "correct horse battery"


@dataclass
class EditorAccount:
    cp: str
    api_key: str
    server: dict

    def api(self, method: str, path: str, body=None):
        response = httpx.request(method, f"{self.cp}{path}", json=body, timeout=30, headers={"Authorization": f"Bearer {self.api_key}"})
        assert response.status_code in (200, 201, 204), f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


@pytest.fixture(scope="module")
def account(stack) -> EditorAccount:
    signup = httpx.post(f"{stack.cp}/v1/signup", timeout=30, json={
        "account_name": "Policy editor", "email": "admin@editor.example", "password": PASSWORD})
    assert signup.status_code == 201, signup.text
    upstream = next(iter(stack.upstreams.values()))
    account = EditorAccount(stack.cp, signup.json()["api_key"], {})
    account.server = account.api("POST", "/v1/servers", {"name": "runpod", "url": upstream.url})
    assert account.server["status"] == "active", account.server
    account.api("POST", "/v1/members", {"email": "viewer@editor.example", "password": PASSWORD, "role": "viewer"})
    return account


def sign_in_as(driver, account: EditorAccount, email: str) -> None:
    """Ends whatever session the suite's browser holds (POST /v1/logout revokes its key), then logs
    in through the console's own login page, so the cookie and the CSRF header are the real ones."""
    driver.get(f"{account.cp}/console#/login")
    driver.execute_async_script("""const done = arguments[arguments.length - 1];
        fetch('/v1/logout', {method: 'POST', headers: {'X-Portcullis-CSRF': '1'}}).finally(() => { localStorage.clear(); done(); });""")
    driver.refresh()
    wait_for(driver, lambda d: d.find_element(By.NAME, "email")).send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#nav a"))
    # Only what happens from here on is the editor's: a logout without a session is a 401 by design.
    driver.get_log("browser")


@pytest.fixture(scope="module")
def admin(browser, account):
    sign_in_as(browser, account, "admin@editor.example")
    return browser


# --- the editor's controls ---------------------------------------------------------------------

def field_id(pointer: str, field: str = "") -> str:
    """The id policy-editor/dom.js gives the control of `pointer` (and `field` under it)."""
    text = pointer + ("/" + field if field else "")
    return "pe" + "".join(c if c.isascii() and (c.isalnum() or c in "_-") else "_" + format(ord(c), "x") for c in text)


def wait_for(driver, condition, timeout: float = 15):
    return WebDriverWait(driver, timeout).until(condition)


def open_editor(driver, account: EditorAccount, policy: str) -> None:
    driver.get(f"{account.cp}/console#/policies/{policy}")
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
    """Beside the console suite's screenshots (the browser fixture's folder)."""
    driver.save_screenshot(str(Path(driver.screenshots) / f"{name}.png"))


# --- tests ---------------------------------------------------------------------------------------

def test_seed_policy_built_visually_shows_the_seed_document_and_saves(admin, account):
    open_editor(admin, account, "new")
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
    saved = account.api("GET", f"/v1/policies/{policy_id}")
    assert saved["document"] == SEED and saved["version"] == 1 and saved["server_id"] == account.server["id"]
    assert "admin@editor.example" in admin.find_element(By.CSS_SELECTOR, '.pe-version[data-version="1"]').text

    type_into(admin, "pe-tool-filter", "stop-pod")
    admin.execute_script("document.querySelector('.pe-tools').scrollIntoView()")
    screenshot(admin, "policy-editor")
    assert severe_log_entries(admin) == []


def test_validation_error_lands_on_the_field_its_pointer_names(admin, account):
    policy = account.api("POST", "/v1/policies", {"name": "to-break", "server_id": account.server["id"], "document": SEED})
    open_editor(admin, account, policy["id"])
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


def test_saving_again_adds_a_version_with_its_diff_and_simulation_decides_with_it(admin, account):
    policy = account.api("POST", "/v1/policies", {"name": "versioned", "server_id": account.server["id"], "document": SEED})
    open_editor(admin, account, policy["id"])
    choose(admin, field_id("/tools/list-pods", "state"), "allow")
    choose(admin, field_id("/tools/delete-pod", "state"), "hide")
    admin.find_element(By.ID, "pe-save").click()
    wait_for(admin, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".pe-version")) == 2)
    assert account.api("GET", f"/v1/policies/{policy['id']}")["document"] == {
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


def test_viewer_sees_the_policy_read_only(admin, account):
    policy = account.api("POST", "/v1/policies", {"name": "for-viewers", "server_id": account.server["id"], "document": SEED})
    viewer = admin  # the suite's one browser, now in the viewer's session
    sign_in_as(viewer, account, "viewer@editor.example")
    open_editor(viewer, account, policy["id"])
    assert viewer.find_elements(By.ID, "pe-save") == [] and viewer.find_elements(By.ID, "pe-recommended") == []
    assert all(not s.is_enabled() for s in viewer.find_elements(By.CSS_SELECTOR, ".pe-form select"))
    assert viewer.find_elements(By.CSS_SELECTOR, ".pe-form button") == []
    assert viewer.find_element(By.ID, "pe-json").get_attribute("readonly") is not None
    viewer.get(f"{account.cp}/console#/policies")
    wait_for(viewer, lambda d: d.find_element(By.CSS_SELECTOR, f'tr[data-policy="{policy["id"]}"]'))
    assert viewer.find_elements(By.ID, "pe-new-policy") == []
    assert severe_log_entries(viewer) == []
