"""The admin's users page, in a real console and Chromium: add a user who can then log in,
reset a password, disable and enable; AccountError messages shown as they are."""

from __future__ import annotations

import sqlite3

from tests.console.conftest import PASSWORD, login, screenshot


def _access(server, action: str) -> list[tuple]:
    with sqlite3.connect(server.data_dir / "frontdesk.db") as c:
        return c.execute(
            "SELECT username, subject, detail FROM access_log WHERE action = ?", (action,)
        ).fetchall()


def _row(page, username: str):
    return page.locator(f"table.users tr[data-user='{username}']")


def test_admin_adds_a_user_who_logs_in_and_is_then_disabled(console, browser, page):
    login(page, console, "admin1")
    page.goto(console.url + "/users")
    page.fill("#add-user input[name=username]", "trainer2")
    page.fill("#add-user input[name=display_name]", "赵老师")
    page.select_option("#add-user select[name=role]", "trainer")
    page.fill("#add-user input[name=password]", "first-pass-123")
    page.click("#add-user button[type=submit]")
    page.wait_for_load_state()
    assert "trainer2" in page.inner_text(".notice")
    assert "赵老师" in _row(page, "trainer2").inner_text()

    # the new user logs in, in their own browser, and lands on their start page
    other = browser.new_context(viewport={"width": 1366, "height": 860})
    them = other.new_page()
    login(them, console, "trainer2", "first-pass-123")
    assert them.url.endswith("/calls")

    # a password reset: the old one stops working, the new one works
    _row(page, "trainer2").locator("input[name=password]").fill("second-pass-456")
    _row(page, "trainer2").locator("form.passwd button").click()
    page.wait_for_load_state()
    assert "Password reset" in page.inner_text(".notice")

    # disabled: logged out at once and refused at log-in
    _row(page, "trainer2").locator("form.toggle button").click()
    page.wait_for_load_state()
    assert "disabled" in _row(page, "trainer2").inner_text()
    them.goto(console.url + "/calls")
    assert "/login" in them.url
    login(them, console, "trainer2", "second-pass-456")
    assert "/login" in them.url and "wrong username or password" in them.inner_text(".error")

    # enabled again: the reset password works, the first one does not
    _row(page, "trainer2").locator("form.toggle button").click()
    page.wait_for_load_state()
    login(them, console, "trainer2", "first-pass-123")
    assert "/login" in them.url
    login(them, console, "trainer2", "second-pass-456")
    assert them.url.endswith("/calls")
    other.close()
    # who did what is logged; no password is
    page.goto(console.url + "/users")
    screenshot(page, "users")
    actions = {a: _access(console, a) for a in ("user_add", "user_passwd", "user_disable")}
    assert all(rows and rows[0][:2] == ("admin1", "user:trainer2") for rows in actions.values())
    assert "pass" not in repr(actions).replace("user_passwd", "")
    assert "last log-in" in page.inner_text("table.users").lower()


def test_account_errors_are_shown_to_the_admin(console, page):
    login(page, console, "admin1")
    page.goto(console.url + "/users")

    def add(username: str, password: str) -> str:
        page.fill("#add-user input[name=username]", username)
        page.fill("#add-user input[name=password]", password)
        # the browser's own checks are bypassed to see the server's answer
        page.eval_on_selector("#add-user", "f => f.noValidate = true")
        page.click("#add-user button[type=submit]")
        page.wait_for_load_state()
        return page.inner_text(".error")

    assert "user 'agent1' already exists" in add("agent1", "long-enough-1")
    assert "password too short" in add("newbie", "short")
    assert "invalid username 'bad name!'" in add("bad name!", "long-enough-1")
    # the admin cannot lock themself out
    assert page.locator("tr[data-user='admin1'] form.toggle").count() == 0
    r = page.request.post(
        console.url + "/users/admin1/disabled",
        form={"disabled": "1", "csrf": page.get_attribute("meta[name=csrf-token]", "content")},
    )
    assert r.status == 400 and "cannot disable your own account" in r.text()


def test_only_admins_manage_users(console, page):
    login(page, console, "super1")
    assert page.goto(console.url + "/users").status == 403
    csrf = page.get_attribute("meta[name=csrf-token]", "content")
    r = page.request.post(
        console.url + "/users/add",
        form={"username": "sneaky", "role": "admin", "password": PASSWORD, "csrf": csrf},
    )
    assert r.status == 403
    login(page, console, "sneaky")
    assert "/login" in page.url
