"""The account page in real Chromium (Selenium, Debian's chromedriver): every section walked end to
end on the seeded SQLite sql store and on the LDAP store, with the dialogs opened and filled
from the keyboard; each step checks the store's state and the audit event, not only the page."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from idconnect.core.errors import NotFound
from idconnect.core.notification import MASK
from tests.console.account_env import AccountConsole
from tests.console.conftest import logged_in, navigation, require_ldap


class Page:
    """The account page in the browser, for one store and account."""

    def __init__(self, driver: Any, env: AccountConsole, store: str, account_id: str) -> None:
        self.driver = driver
        self.env = env
        self.store = store
        self.account_id = account_id

    def open(self, tab: str | None = None) -> None:
        self.driver.get(self.env.page(self.store, self.account_id, tab))
        self.wait(ec.presence_of_element_located((By.ID, "overview-title")))

    def wait(self, condition: Any) -> Any:
        return WebDriverWait(self.driver, 10).until(condition)

    def tab(self, title: str) -> None:
        self.driver.find_element(By.LINK_TEXT, title).click()
        self.wait(ec.text_to_be_present_in_element((By.ID, "panel-title"), title))
        assert self.driver.find_element(By.ID, "failed-attempts").is_displayed()

    def dialog(self, name: str, *, keyboard: bool = False) -> Any:
        """Open a dialog by its opener (clicked, or Enter on it) and return it, modal."""
        opener = self.driver.find_element(By.ID, f"open-{name}")
        if keyboard:
            self.driver.execute_script("arguments[0].focus()", opener)
            opener.send_keys(Keys.ENTER)
        else:
            opener.click()
        dialog = self.driver.find_element(By.ID, f"dialog-{name}")
        self.wait(
            lambda _: self.driver.execute_script("return arguments[0].matches(':modal')", dialog)
        )
        return dialog

    def type(self, element_id: str, text: str) -> None:
        field = self.driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(text)

    def submit(self, within: Any, button_text: str) -> None:
        """Click a form's button and wait for the next page."""
        with navigation(self.driver):
            within.find_element(By.XPATH, f".//button[normalize-space()='{button_text}']").click()

    def enter(self, text: str) -> None:
        """Type into the focused field and press Enter (submitting its form); wait for the page."""
        with navigation(self.driver):
            self.driver.switch_to.active_element.send_keys(text, Keys.ENTER)

    def notice(self) -> str:
        found = self.wait(ec.presence_of_element_located((By.CSS_SELECTOR, "p.notice")))
        return str(found.text)

    def alert(self) -> str:
        found = self.wait(ec.presence_of_element_located((By.ID, "action-error")))
        return str(found.text)

    def event(self, action: str, reason: str) -> None:
        self.env.by_alice(self.store, self.account_id, action, reason)

    def add_to_group(self, group: str, reason: str) -> None:
        """Add the account to ``group`` from the Groups tab; check its groups and the event."""
        self.tab("Groups")
        Select(self.driver.find_element(By.ID, "add-group")).select_by_value(group)
        self.type("add-group-reason", reason)
        self.submit(self.driver.find_element(By.CSS_SELECTOR, "form.add"), "Add to group")
        assert "Added to group" in self.notice()
        groups = self.env.hub.store(self.store).get_account(self.account_id).groups
        assert [g.value for g in groups] == [group]
        self.event("add_group_member", reason)

    def set_password(self, password: str, reason: str) -> None:
        """Set the password through its dialog; check the notice and the audit event."""
        dialog = self.dialog("password")
        self.type("new-password", password)
        self.type("confirm-password", password)
        self.type("password-reason", reason)
        self.submit(dialog, "Set password")
        assert "Password changed" in self.notice()
        self.event("set_password", reason)


def _row_form(page: Page, action: str, hidden: str, value: str) -> Any:
    """The per-row form of ``action`` whose hidden field ``hidden`` is ``value``."""
    return page.driver.find_element(
        By.XPATH,
        f"//form[contains(@action, '/{action}')][.//input[@name='{hidden}' and @value='{value}']]",
    )


def test_overview_actions_on_the_sql_store(driver: Any, env: AccountConsole) -> None:
    store = env.hub.store("demo")
    account = store.search_accounts("failedAttempts.password gt 0", count=1).items[0]
    page = Page(driver, env, "demo", str(account.id))
    logged_in(driver, env, "alice")
    page.open()
    for title in (
        "Activity",
        "Notifications",
        "Groups",
        "Roles",
        "Authenticators",
        "Sessions",
        "Identity verification",
        "Consents",
        "Attributes",
    ):
        page.tab(title)

    dialog = page.dialog("unlock", keyboard=True)
    assert driver.switch_to.active_element.get_attribute("name") == "reason"
    page.enter("customer verified on the phone")
    assert "Failed attempts reset" in page.notice()
    assert store.get_account(page.account_id).failed_attempts.password == 0
    page.event("reset_failed_attempts", "customer verified on the phone")

    dialog = page.dialog("disable")
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    page.wait(lambda _: not dialog.get_attribute("open"))
    assert driver.switch_to.active_element.get_attribute("id") == "open-disable"
    assert store.get_account(page.account_id).active
    dialog = page.dialog("disable")
    page.type("disable-reason", "fraud suspected")
    page.submit(dialog, "Disable account")
    assert "Account disabled" in page.notice()
    assert not store.get_account(page.account_id).active
    assert "Disabled" in driver.find_element(By.CSS_SELECTOR, "ul.labels").text
    page.event("disable_account", "fraud suspected")
    dialog = page.dialog("enable", keyboard=True)
    page.enter("cleared")
    assert "Account enabled" in page.notice()
    assert store.get_account(page.account_id).active

    page.set_password("Support-set-pass-7", "no email access")

    loner = store.search_accounts("not (organization pr)", count=1).items[0]
    page = Page(driver, env, "demo", str(loner.id))
    page.open()
    dialog = page.dialog("password")
    assert [
        o.get_attribute("value") for o in Select(driver.find_element(By.ID, "reset-client")).options
    ] == ["shop-web"]
    page.type("reset-reason", "forgot the password")
    page.submit(dialog, "Send reset link")
    assert "reset link sent" in page.notice()
    page.event("send_password_reset", "forgot the password")
    token = env.inbox.link().split("=", 1)[1]
    page.tab("Notifications")
    with navigation(driver):
        driver.find_element(By.CSS_SELECTOR, "a.eye").click()
    content = page.wait(ec.presence_of_element_located((By.ID, "notification-content"))).text
    assert MASK in content and token not in driver.page_source

    dialog = page.dialog("impersonate")
    page.type("impersonate-reason", "reproduce the checkout bug")
    page.submit(dialog, "Make the link")
    link = page.wait(ec.presence_of_element_located((By.ID, "impersonation-link"))).text
    assert link.startswith("https://shop.example.com/login?impersonation_token=")
    assert [g.reason for g in store.impersonations(page.account_id)] == [
        "reproduce the checkout bug"
    ]
    page.open()
    assert "impersonation_token" not in driver.page_source

    dialog = page.dialog("export")
    dialog.find_element(By.CSS_SELECTOR, "input[value=json]").click()
    page.type("export-reason", "data subject request")
    dialog.find_element(By.XPATH, ".//button[normalize-space()='Download']").click()  # stays
    page.wait(lambda _: env.events("demo", page.account_id, "export_account"))
    page.event("export_account", "data subject request")

    sessions_of = next(a for a in store.iter_accounts() if len(store.list_sessions(str(a.id))) > 1)
    page = Page(driver, env, "demo", str(sessions_of.id))
    page.open("sessions")
    sessions = store.list_sessions(page.account_id)
    form = _row_form(page, "sessions/revoke", "session", sessions[0].id)
    form.find_element(By.NAME, "reason").send_keys("lost laptop")
    page.submit(form, "Revoke this session")
    assert "Session revoked" in page.notice()
    assert [s.id for s in store.list_sessions(page.account_id)] == [s.id for s in sessions[1:]]
    page.event("revoke_session", "lost laptop")
    dialog = page.dialog("sessions")
    page.type("sessions-reason", "account takeover")
    page.submit(dialog, "Delete all sessions")
    assert "session(s) deleted" in page.notice()
    assert store.list_sessions(page.account_id) == []
    page.event("revoke_sessions", "account takeover")

    dialog = page.dialog("delete")
    page.type("delete-confirm", "not the id")
    page.type("delete-reason", "right to erasure")
    page.submit(dialog, "Delete account")
    assert "confirm" in page.alert()
    assert store.get_account(page.account_id).id == page.account_id
    dialog = page.dialog("delete")
    page.type("delete-confirm", page.account_id)
    page.type("delete-reason", "right to erasure")
    page.submit(dialog, "Delete account")
    page.wait(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Account deleted"))
    with pytest.raises(NotFound):
        store.get_account(page.account_id)
    page.event("delete_account", "right to erasure")


def test_tabs_on_the_sql_store(driver: Any, env: AccountConsole) -> None:
    store = env.hub.store("main")
    _, [account_id] = env.seed(
        1, emails=[{"value": "walk@example.org", "primary": True, "verified": True}]
    )
    group = env.group("browser-walk")
    store.record_consent(account_id, purpose="newsletter", version="2024-01")
    page = Page(driver, env, "main", account_id)
    logged_in(driver, env, "alice")
    page.open()

    page.type("f-" + _field_index(driver, "attr:displayName"), "Walk Through")
    Select(driver.find_element(By.ID, "notify-client")).select_by_value("shop-web")
    page.type("attributes-reason", "customer asked")
    page.submit(driver.find_element(By.CSS_SELECTOR, "form.attributes"), "Save changes")
    assert "Saved: displayName." in page.notice() and "was sent" in page.notice()
    assert store.get_account(account_id).display_name == "Walk Through"
    page.event("update_account", "customer asked")
    store.update_account(account_id, {"displayName": "Changed Meanwhile"}, reason="elsewhere")
    page.type("f-" + _field_index(driver, "attr:displayName"), "Stale Edit")
    page.type("attributes-reason", "second try")
    page.submit(driver.find_element(By.CSS_SELECTOR, "form.attributes"), "Save changes")
    assert "changed since this page was read" in page.alert()
    assert store.get_account(account_id).display_name == "Changed Meanwhile"

    page.add_to_group(group, "premium plan")
    form = _row_form(page, "groups/remove", "group", group)
    form.find_element(By.NAME, "reason").send_keys("plan ended")
    page.submit(form, "Remove from browser-walk")
    assert "Removed from group" in page.notice()
    assert store.get_account(account_id).groups == ()

    page.tab("Roles")
    dialog = page.dialog("assign-role", keyboard=True)
    page.type("assign-role-name", "billing-admin")
    page.type("assign-role-org", "Globex")
    page.type("assign-role-reason", "new billing contact")
    page.submit(dialog, "Assign role")
    assert "Role billing-admin assigned in organization Globex" in page.notice()
    held = store.get_account(account_id).role_assignments
    assert [(a.role, a.organization) for a in held] == [("billing-admin", "Globex")]
    page.event("assign_role", "new billing contact")
    form = _row_form(page, "roles/unassign", "role", "billing-admin")
    form.find_element(By.NAME, "reason").send_keys("left the company")
    page.submit(form, "Unassign billing-admin")
    assert store.get_account(account_id).role_assignments == ()
    page.event("unassign_role", "left the company")

    page.tab("Authenticators")
    driver.find_element(By.CSS_SELECTOR, "input[name=kind][value=email]").click()
    page.type("method-value", "second@example.org")
    page.type("add-method-reason", "backup address")
    page.submit(driver.find_element(By.CSS_SELECTOR, "form.add"), "Add method")
    assert "Authentication method added" in page.notice()
    added = [a for a in store.list_authenticators(account_id) if a.label and "s*" in a.label]
    assert len(added) == 1
    page.event("add_authenticator", "backup address")
    form = _row_form(page, "authenticators/remove", "authenticator", added[0].id)
    form.find_element(By.NAME, "reason").send_keys("typo")
    with navigation(driver):
        form.find_element(By.TAG_NAME, "button").click()
    assert "deleted" in page.notice()
    assert added[0].id not in {a.id for a in store.list_authenticators(account_id)}

    page.tab("Identity verification")
    dialog = page.dialog("verify")
    Select(driver.find_element(By.ID, "verify-policy")).select_by_value("document-check")
    page.type("verify-evidence", "passport seen on video call")
    page.type("verify-reason", "online flow failed")
    page.submit(dialog, "Verify identity")
    assert "verified under policy document-check" in page.notice()
    [record] = store.verifications(account_id)
    page.event("verify_identity", "online flow failed")
    form = _row_form(page, "verification/revoke", "verification", record.id)
    form.find_element(By.NAME, "reason").send_keys("document was forged")
    page.submit(form, "Revoke verification")
    assert store.verifications(account_id)[0].revoked_at is not None

    page.tab("Consents")
    assert "newsletter" in driver.find_element(By.ID, "panel").text
    page.tab("Activity")
    timeline = driver.find_element(By.ID, "panel").text
    assert "revoke_verification" in timeline and "Reason: document was forged" in timeline


def _field_index(driver: Any, name: str) -> str:
    field = driver.find_element(By.NAME, name)
    return str(field.get_attribute("id")).removeprefix("f-")


def test_the_ldap_store_walk_and_its_unsupported_sections(driver: Any, env: AccountConsole) -> None:
    require_ldap(env)
    store = env.hub.store("directory")
    _, [account_id] = env.seed(1, store="directory")
    group = env.group("ldap-walk", store="directory")
    page = Page(driver, env, "directory", account_id)
    logged_in(driver, env, "alice")
    page.open()
    assert not driver.find_elements(By.ID, "open-sessions")  # the store has no sessions

    page.type("f-" + _field_index(driver, "attr:displayName"), "Directory Person")
    page.type("attributes-reason", "typo in the name")
    page.submit(driver.find_element(By.CSS_SELECTOR, "form.attributes"), "Save changes")
    assert "Saved: displayName." in page.notice()
    assert store.get_account(account_id).display_name == "Directory Person"
    page.event("update_account", "typo in the name")

    dialog = page.dialog("disable", keyboard=True)
    page.enter("leaver")
    assert "Account disabled" in page.notice()
    assert not store.get_account(account_id).active
    page.event("disable_account", "leaver")

    page.set_password("Directory-pass-8", "reset by phone")

    page.add_to_group(group, "team access")

    for title in ("Sessions", "Authenticators"):
        page.tab(title)
        assert "Not supported by this store." in driver.find_element(By.ID, "panel").text
    page.tab("Roles")
    assert "not supported by this store" in driver.find_element(By.ID, "panel").text

    page.tab("Identity verification")
    dialog = page.dialog("verify")
    page.type("verify-evidence", "badge checked")
    page.type("verify-reason", "new starter")
    page.submit(dialog, "Verify identity")
    assert "verified under policy document-check" in page.notice()
    assert [v.verified_by for v in store.verifications(account_id)] == ["alice"]

    page.tab("Consents")
    assert "No consent recorded." in driver.find_element(By.ID, "panel").text

    dialog = page.dialog("delete")
    page.type("delete-confirm", account_id)
    page.type("delete-reason", "left")
    page.submit(dialog, "Delete account")
    page.wait(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Account deleted"))
    with pytest.raises(NotFound):
        store.get_account(account_id)
    page.event("delete_account", "left")


def test_an_agent_sees_only_their_actions(driver: Any, env: AccountConsole) -> None:
    _, [account_id] = env.seed(1)
    page = Page(driver, env, "main", account_id)
    logged_in(driver, env, "sam")
    page.open()
    present = {
        e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, "a[data-dialog]")
    }
    assert present == {"open-disable"}
    assert not driver.find_elements(By.CSS_SELECTOR, "form.attributes button")


def test_without_javascript_a_dialog_opens_in_the_page(driver: Any, env: AccountConsole) -> None:
    account_id = env.fresh()
    page = Page(driver, env, "main", account_id)
    logged_in(driver, env, "alice")
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        page.open()
        with navigation(driver):
            driver.find_element(By.ID, "open-disable").click()
        assert "dialog=disable" in driver.current_url  # the link was followed: no script ran
        dialog = driver.find_element(By.ID, "dialog-disable")
        assert dialog.is_displayed() and dialog.get_attribute("open") is not None
        page.type("disable-reason", "no script here")
        page.submit(dialog, "Disable account")
        assert "Account disabled" in page.notice()
        assert not env.hub.store("main").get_account(account_id).active
        page.event("disable_account", "no script here")
    finally:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
