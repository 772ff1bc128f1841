"""Playwright driving Debian's chromium against pytest-django's live server.

Locally the tests skip, saying why, when chromium is missing; with CI=1 they fail instead,
so CI can never pass without running them.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: install Debian's chromium to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A page of a fresh browser context. Every journey fails if the browser reports a
    Content-Security-Policy violation or a script error on any page it opened."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    yield page
    context.close()
    assert problems == [], "the browser reported CSP violations or script errors"


@pytest.fixture
def sign_in(page):
    from tests.conftest import PASSWORD

    def as_user(user):
        page.goto("/accounts/login/")
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        return page

    return as_user


@pytest.fixture
def screenshot(page):
    def save(name):
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


def eventually(check, timeout=5.0):
    """Poll `check` until it returns a truthy value: the page reports a save before the test's
    own database connection may see it."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)
