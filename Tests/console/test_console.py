"""The console in a real browser (issue 12), end to end: sign up, register the SDK upstream, create
an identity and a grant, read the token from the page, make real MCP calls with it, see them in the
audit page, approve a held call from the queue, and see a viewer unable to edit. Steps run in file
order and share one account; every page is screenshotted and its browser log must stay clean."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from clients import decision_of, sdk1_session, text_of
from harness import Grant, Stack, wait_until

EMAIL = "ops@console.example"
PASSWORD = "correct horse battery"
VIEWER = "viewer@console.example"
# The seed's policy (default deny, stop-pod at 10 a minute) with a held delete-pod. The visual
# editor that builds it is the policies page's own suite; here it is saved through the API.
POLICY = {
    "version": "1",
    "default": "deny",
    "tools": {
        "create-pod": {},
        "stop-pod": {"limits": [{"counter": "stop-pod_rate", "window": "minute", "max": 10, "scope": "grant"}]},
        "delete-pod": {"approval": {"timeout": "15m", "hold": "60s"}},
    },
}

state: dict[str, Any] = {}


def wait(driver: WebDriver, seconds: float = 15) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def go(driver: WebDriver, stack: Stack, hash_: str) -> None:
    driver.get(f"{stack.cp}/console{hash_}")


def fill(driver: WebDriver, name: str, value: str, within: Any = None) -> None:
    element = (within or driver).find_element(By.CSS_SELECTOR, f"[name='{name}']")
    element.clear()
    element.send_keys(value)


def shoot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(Path(driver.screenshots) / f"{name}.png"))


def assert_clean_log(driver: WebDriver, page: str) -> None:
    """No error in the browser's console: script errors, CSP refusals, failed loads."""
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, f"{page}: {errors}"


def text_on_page(driver: WebDriver, text: str, seconds: float = 15) -> None:
    wait(driver, seconds).until(EC.text_to_be_present_in_element((By.ID, "main"), text))


def test_signup_lands_on_the_servers_page(stack: Stack, browser: WebDriver) -> None:
    go(browser, stack, "#/signup")
    wait(browser).until(EC.presence_of_element_located((By.NAME, "account_name")))
    fill(browser, "account_name", "Console Co")
    fill(browser, "email", EMAIL)
    fill(browser, "password", PASSWORD)
    shoot(browser, "signup")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_on_page(browser, "Register a server")
    assert EMAIL in browser.find_element(By.ID, "session").text
    assert_clean_log(browser, "signup")
    # The session is a cookie page scripts cannot read.
    assert browser.execute_script("return document.cookie") == ""
    # The same member through the API, for what this suite does not click (the policy).
    login = httpx.post(f"{stack.cp}/v1/login", json={"email": EMAIL, "password": PASSWORD}, timeout=30)
    stack.api_key = login.json()["api_key"]


def test_register_the_sdk_upstream_and_see_its_catalog(stack: Stack, browser: WebDriver) -> None:
    upstream = stack.upstreams["json-stateless"]
    form = browser.find_element(By.CSS_SELECTOR, "form[aria-labelledby=register-title]")
    fill(browser, "name", "runpod", form)
    fill(browser, "url", upstream.url, form)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr[data-tool='stop-pod']")))
    state["server_id"] = browser.current_url.rsplit("/", 1)[1]
    assert "approved" in browser.find_element(By.CSS_SELECTOR, "tr[data-tool='stop-pod']").text
    shoot(browser, "server-catalog")
    go(browser, stack, "#/servers")
    text_on_page(browser, "runpod")
    shoot(browser, "servers")
    assert_clean_log(browser, "servers")
    policy = stack.api("POST", "/v1/policies", {"name": "runpod-seed", "server_id": state["server_id"], "document": POLICY})
    state["policy_id"] = policy["id"]
    stack.servers["json-stateless"] = state["server_id"]


def test_a_server_form_error_lands_on_its_field(stack: Stack, browser: WebDriver) -> None:
    form = browser.find_element(By.CSS_SELECTOR, "form[aria-labelledby=register-title]")
    fill(browser, "name", "runpod", form)
    fill(browser, "url", "ftp://example.com/mcp", form)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser).until(lambda d: form.find_element(By.CSS_SELECTOR, "[name='url'][aria-invalid='true']"))
    message = form.find_element(By.CSS_SELECTOR, "[name='url']").find_element(By.XPATH, "..").find_element(By.CLASS_NAME, "field-error")
    assert message.text
    browser.get_log("browser")  # the refused POST is logged as a failed load: it was asked for


def test_create_an_identity_and_a_grant_and_read_the_token_once(stack: Stack, browser: WebDriver) -> None:
    go(browser, stack, "#/identities")
    wait(browser).until(EC.presence_of_element_located((By.NAME, "label")))
    fill(browser, "label", "console-agent")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser).until(EC.presence_of_element_located((By.XPATH, "//td/strong[text()='console-agent']")))
    shoot(browser, "identities")
    assert_clean_log(browser, "identities")

    go(browser, stack, "#/grants")
    wait(browser).until(EC.presence_of_element_located((By.NAME, "policy_id")))
    Select(browser.find_element(By.NAME, "policy_id")).select_by_visible_text("runpod-seed")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    token = wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "pre[data-secret=token]"))).text
    gateway_url = browser.find_element(By.CSS_SELECTOR, "pre[data-secret=gateway_url]").text
    for client in ("claude_code", "claude_desktop", "cursor", "vscode"):
        assert token in browser.find_element(By.CSS_SELECTOR, f"pre[data-client={client}]").text
    assert browser.find_elements(By.CSS_SELECTOR, "tr[data-grant]"), "the new grant is listed at once"
    shoot(browser, "grant-created")
    assert_clean_log(browser, "grants")
    # Shown once: nothing of it is kept where a later page could read it.
    assert token not in browser.execute_script("return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    go(browser, stack, "#/identities")
    go(browser, stack, "#/grants")
    wait(browser).until(EC.presence_of_element_located((By.NAME, "policy_id")))
    assert token not in browser.page_source
    grant_id = stack.api("GET", "/v1/grants")["items"][0]["id"]
    state["grant"] = Grant(grant_id, token, state["server_id"], gateway_url, "", {})
    stack.wait_grant_known(stack.workers[0], state["grant"])


def test_real_mcp_calls_with_the_token_land_in_the_audit_page(stack: Stack, browser: WebDriver) -> None:
    grant: Grant = state["grant"]

    async def calls() -> list[str]:
        outcomes = []
        async with sdk1_session(grant.gateway_url, grant.token) as session:
            created = await session.call_tool("create-pod", {"imageName": "runpod/pytorch:2.1.0", "name": "console"})
            state["pod"] = json.loads(text_of(created))["id"]
            for _ in range(11):
                result = await session.call_tool("stop-pod", {"podId": state["pod"]})
                outcomes.append((decision_of(result) or {}).get("code") or "allowed")
        return outcomes

    outcomes = asyncio.run(calls())
    # Ten a minute; a minute boundary inside the burst would reset the window, so count, not position.
    assert outcomes.count("rate_limited") >= 1 and outcomes.count("allowed") >= 10 - outcomes.count("rate_limited"), outcomes
    go(browser, stack, "#/audit")
    wait_until(lambda: len(stack.audit(grant.id)) >= 12, 30, "audit rows shipped")
    browser.refresh()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr[data-tool='stop-pod'][data-decision='deny']")))
    # One request event per call; a forwarded call adds its response event.
    rows = browser.find_elements(By.CSS_SELECTOR, "tr[data-tool='stop-pod'][data-kind='request']")
    assert len(rows) == 11
    rows[0].find_element(By.CSS_SELECTOR, "button[aria-expanded]").click()
    assert "rate_limited" in browser.find_element(By.CSS_SELECTOR, "tr.detail:not([hidden])").text
    browser.find_element(By.XPATH, "//button[text()='Verify chain']").click()
    text_on_page(browser, "Chain intact")
    assert browser.find_element(By.CSS_SELECTOR, ".chart svg rect")
    # The chart counts every call of the last 24 hours (GET /v1/audit/summary), not one page.
    legend = browser.find_element(By.CSS_SELECTOR, ".chart figcaption").text
    assert "allowed" in legend and "denied: rate_limited" in legend, legend
    Select(browser.find_element(By.NAME, "decision")).select_by_value("deny")
    browser.find_element(By.CSS_SELECTOR, "form[aria-label='Audit filters'] button[type=submit]").click()
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "tr[data-decision='allow']"))
    assert "decision=deny" in browser.find_element(By.LINK_TEXT, "Export NDJSON").get_attribute("href")
    shoot(browser, "audit")
    assert_clean_log(browser, "audit")


def test_a_held_call_is_approved_from_the_queue(stack: Stack, browser: WebDriver) -> None:
    grant: Grant = state["grant"]
    result: dict[str, Any] = {}

    def held_call() -> None:
        async def call() -> None:
            async with sdk1_session(grant.gateway_url, grant.token) as session:
                answer = await session.call_tool("delete-pod", {"podId": state["pod"]})
                result["error"], result["text"] = answer.isError, text_of(answer)
        asyncio.run(call())

    go(browser, stack, "#/approvals")
    wait(browser).until(EC.presence_of_element_located((By.ID, "approval-status")))
    caller = threading.Thread(target=held_call)
    caller.start()
    # The queue refreshes itself: no reload here.
    row = wait(browser, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr[data-approval]")))
    assert "delete-pod" in row.text and state["pod"] in row.text
    shoot(browser, "approvals")
    row.find_element(By.NAME, "reason").send_keys("console test")
    row.find_element(By.XPATH, ".//button[text()='Approve']").click()
    caller.join(timeout=30)
    assert not caller.is_alive()
    assert result == {"error": False, "text": json.dumps({"deleted": state["pod"]})} or (not result["error"] and state["pod"] in result["text"]), result
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "tr[data-approval]"))
    assert_clean_log(browser, "approvals")


def test_usage_and_settings_pages(stack: Stack, browser: WebDriver) -> None:
    go(browser, stack, "#/usage")
    text_on_page(browser, "stop-pod_rate")
    assert "/ 10" in browser.find_element(By.ID, "main").text
    shoot(browser, "usage")
    assert_clean_log(browser, "usage")
    go(browser, stack, "#/settings")
    form = wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "form[aria-label='Add a member']")))
    fill(browser, "email", VIEWER, form)
    fill(browser, "password", PASSWORD, form)
    Select(form.find_element(By.NAME, "role")).select_by_value("viewer")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_on_page(browser, VIEWER)
    shoot(browser, "settings")
    assert_clean_log(browser, "settings")


def test_logout_then_a_viewer_sees_no_edit_buttons(stack: Stack, browser: WebDriver) -> None:
    browser.find_element(By.XPATH, "//button[text()='Log out']").click()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".page-login [name='password']")))
    # The old session is revoked server-side, not only forgotten.
    assert browser.execute_script("return fetch('/v1/me').then(r => r.status)") == 401
    browser.get_log("browser")  # that 401 was asked for
    fill(browser, "email", VIEWER)
    fill(browser, "password", PASSWORD)
    shoot(browser, "login")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_on_page(browser, "Servers")
    for page, form in (("#/servers", "register-title"), ("#/identities", "new-identity"), ("#/grants", "new-grant")):
        go(browser, stack, page)
        wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "table")))
        assert not browser.find_elements(By.CSS_SELECTOR, f"form[aria-labelledby={form}]"), page
    go(browser, stack, f"#/servers/{state['server_id']}")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "tr[data-tool='stop-pod']")))
    assert not browser.find_elements(By.XPATH, "//button[text()='Re-discover' or text()='Delete server' or text()='Approve definition']")
    assert not browser.find_elements(By.NAME, "risk_override")
    # And the API refuses anyway, with the session the page holds.
    status = browser.execute_script(
        "return fetch('/v1/identities', {method: 'POST', headers: {'X-Portcullis-CSRF': '1', 'Content-Type': 'application/json'},"
        " body: JSON.stringify({label: 'sneaky'})}).then(r => r.status)")
    assert status == 403
    browser.get_log("browser")
