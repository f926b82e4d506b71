"""Browser tests: the app on the demo merchant served by uvicorn in a thread, driven by Playwright + Debian chromium.

Every page fails its test on a console error, an uncaught exception, a failed request or an HTTP error response.
Screenshots go to test-output/screenshots/ (CI artefacts); UPDATE_README_SHOTS=1 also refreshes docs/img/.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, DemoHome

CHROMIUM = Path(os.environ.get("AFTERSALES_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = REPO / "test-output" / "screenshots"
README_SHOTS = REPO / "docs" / "img"
PASSWORD = "demo-pass-123"
README_HEIGHT = 1500


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder is a browser test."""
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(demo_home: DemoHome) -> Iterator[str]:
    """The full app (API + pages) on a free loopback port."""
    import uvicorn

    from aftersales.api.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(demo_home.settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright (never a downloaded browser); skips when either is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium fonts-wqy-zenhei)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


class Problems(list[str]):
    """Console errors, page errors, failed requests and HTTP errors seen by one page."""


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh laptop-sized page (1366×768, zh-CN) that fails the test on any console or network problem."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", base_url=live_server)
    tab = context.new_page()
    problems = Problems()
    tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: problems.append(f"failed request: {r.method} {r.url} {r.failure}"))
    tab.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    tab.problems = problems
    yield tab
    context.close()
    assert not problems, "\n".join(problems)


def login(page: Any, username: str) -> None:
    """Log in through the form, as a person would."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")


SETTLED = """() => !document.querySelector('[data-fragment]:not([data-loaded])') &&
  (!document.querySelector('[data-figure]') || document.documentElement.getAttribute('data-charts') === 'drawn')"""


def settle(page: Any) -> None:
    """Wait until the page's late parts are in: fragments loaded and charts drawn (leaving earlier aborts them)."""
    page.wait_for_function(SETTLED, timeout=60_000)


def screenshot(page: Any, name: str, readme: bool = False) -> Path:
    """Save a full-page screenshot as a CI artefact (and for the README when asked)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    if readme:  # the top of the page, tall enough to show what comes below the first screen
        height = min(README_HEIGHT, int(page.evaluate("document.documentElement.scrollHeight")))
        page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1366, "height": height})
    else:
        page.screenshot(path=str(path), full_page=True)
    if readme and os.environ.get("UPDATE_README_SHOTS"):
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_SHOTS / f"{name}.png")
    return path
