"""Log-in, roles, CSRF, rate limiting and headers, against a real console process and a
real Chromium (and plain HTTP requests where a browser would hide the answer)."""

from __future__ import annotations

import httpx

from frontdesk.console.web import mask_phone
from tests.conftest import frontdesk
from tests.console.conftest import PASSWORD, login


def test_each_role_logs_in_to_its_own_start_page(console, page):
    for username, home in (("agent1", "/desk"), ("super1", "/audit"), ("trainer1", "/calls")):
        page.context.clear_cookies()
        login(page, console, username)
        assert page.url.endswith(home), (username, page.url)


def test_session_cookie_is_httponly_secure_and_samesite_strict(console, page):
    login(page, console, "agent1")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "fd_session"]
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    # the page's own scripts cannot read it
    assert "fd_session" not in page.evaluate("document.cookie")


def test_wrong_password_is_refused_and_logged_without_the_password(console, page):
    login(page, console, "agent1", "not-the-password")
    assert "/login" in page.url
    assert "wrong username or password" in page.inner_text(".error")
    r = frontdesk(console.data_dir, "users", "list", "--format", "json")
    assert "not-the-password" not in r.stdout + r.stderr + console.log()


def test_pages_need_a_login_and_come_back_after_it(console, page):
    page.goto(console.url + "/kpi?week=3")
    assert "/login?next=" in page.url
    login_here = page.url
    page.fill("input[name=username]", "super1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert login_here != page.url and page.url.endswith("/kpi?week=3")


def _post_login(c: httpx.Client, username: str, password: str, url: str = "/login"):
    """Log in as a browser would: the form's double-submit token goes back as cookie and
    field. (httpx, rightly, keeps a Secure cookie off plain HTTP, so it is sent by hand.)"""
    token = c.get("/login").cookies["fd_login"]
    return c.post(url, data={"username": username, "password": password, "csrf": token},
                  headers={"Cookie": f"fd_login={token}"})  # fmt: skip


def test_next_never_redirects_off_site(console):
    with httpx.Client(base_url=console.url, follow_redirects=False) as c:
        r = _post_login(c, "agent1", PASSWORD, "/login?next=//evil.example/x")
        assert r.status_code == 303 and r.headers["location"] == "/desk"


def test_roles_are_enforced(console, page):
    login(page, console, "agent1")
    for forbidden in ("/audit", "/kpi", "/training", "/users", "/recordings/1.wav"):
        r = page.goto(console.url + forbidden)
        assert r.status == 403, forbidden
    nav = page.inner_text("header nav")
    assert "Desk" in nav and "Audit" not in nav and "Training" not in nav


def test_login_is_rate_limited_per_user_and_address(console):
    with httpx.Client(base_url=console.url) as c:
        codes = [_post_login(c, "super1", "guess-guess").status_code for _ in range(5)]
        r = _post_login(c, "super1", "guess-guess")
        assert codes + [r.status_code] == [401] * 5 + [429]
        assert int(r.headers["retry-after"]) > 0
        # even the right password is refused while the limit holds …
        assert _post_login(c, "super1", PASSWORD).status_code == 429
        # … for that user from that address; another user still gets in
        assert _post_login(c, "trainer1", PASSWORD).status_code == 303


def test_posts_without_the_csrf_token_or_from_another_site_are_refused(console, page):
    login(page, console, "agent1")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    with httpx.Client(base_url=console.url, headers={"Cookie": cookie}) as c:
        assert c.post("/logout", data={}).status_code == 403
        assert c.post("/logout", data={"csrf": "forged"}).status_code == 403
        csrf = page.get_attribute('meta[name="csrf-token"]', "content")
        r = c.post("/logout", data={"csrf": csrf}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        # the session survived all three
        assert c.get("/desk", follow_redirects=False).status_code != 303
    # the real form logs out
    page.click("text=Log out")
    page.wait_for_load_state()
    assert "/login" in page.url
    assert page.goto(console.url + "/desk").url.startswith(console.url + "/login")


def test_login_form_needs_its_token(console):
    with httpx.Client(base_url=console.url) as c:
        r = c.post("/login", data={"username": "agent1", "password": PASSWORD})
        assert r.status_code == 403


def test_security_headers_on_every_page(console):
    with httpx.Client(base_url=console.url) as c:
        for path in ("/login", "/static/console.css"):
            h = c.get(path).headers
            assert "script-src 'self'" in h["content-security-policy"]
            assert "frame-ancestors 'none'" in h["content-security-policy"]
            assert h["x-content-type-options"] == "nosniff"
            assert h["x-frame-options"] == "DENY"


def test_disabling_a_user_ends_their_sessions(console, page):
    login(page, console, "agent1")
    assert page.url.endswith("/desk")
    frontdesk(console.data_dir, "users", "disable", "agent1")
    page.goto(console.url + "/desk")
    assert "/login" in page.url
    login(page, console, "agent1")
    assert "/login" in page.url  # a disabled account cannot log in again


def test_users_cli_validates_and_never_prints_hashes(tmp_path):
    d = tmp_path / "var"
    r = frontdesk(d, "users", "add", "x y", "--role", "agent", "--password-stdin", check=False)
    assert r.returncode != 0 and "invalid username" in r.stderr
    import subprocess
    import sys

    def add(name, role, pw):
        return subprocess.run(
            [sys.executable, "-m", "frontdesk.cli", "--data-dir", str(d), "users", "add", name,
             "--role", role, "--password-stdin"],
            input=pw + "\n", capture_output=True, text=True,
        )  # fmt: skip

    assert "too short" in add("bob", "agent", "short").stderr
    assert "invalid choice" in add("bob", "boss", "long-enough-1").stderr
    assert add("bob", "agent", "long-enough-1").returncode == 0
    assert "already exists" in add("bob", "agent", "long-enough-1").stderr
    out = frontdesk(d, "users", "list", "--format", "json").stdout
    assert '"username": "bob"' in out and "argon2" not in out


def test_phone_numbers_are_masked_for_exports():
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("85551234") == "8***1234"
    assert mask_phone("110") == "***"
    assert mask_phone(None) == ""


def test_console_refuses_unsafe_or_unusable_settings_with_one_line(tmp_path):
    """A LAN bind without TLS (its Secure cookie would never come back) and a time zone
    that does not exist are stated errors at start-up, not a traceback or a silent server."""
    d = tmp_path / "var"
    r = frontdesk(d, "console", "--bind", "0.0.0.0", check=False, timeout=30)
    assert r.returncode == 2 and "tls_cert" in r.stderr and "Traceback" not in r.stderr
    d.mkdir(exist_ok=True)
    (d / "frontdesk.toml").write_text('[console]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    r = frontdesk(d, "console", "--port", "1", check=False, timeout=30)
    assert r.returncode == 2 and "Mars/Olympus" in r.stderr and "Traceback" not in r.stderr
