"""Dashboard first load in a real browser: Debian chromium (Playwright) against `aftersales serve` on a demo merchant.

Target (issue #6): first load of the dashboard for the demo data set <= 1.5 s, median of 5. Each run opens a fresh
browser context (empty HTTP cache, so plotly.js is fetched and parsed again) with a logged-in session and navigates to
/dashboard. Three moments are reported, in seconds from the start of navigation: first contentful paint (the KPI
cards and tables), the load event, and "all charts drawn" (every chart has been drawn by plotly). Two series: `warm`
opens the same month each time (the server's short KPI cache, `dashboard_cache_seconds`, is filled by the warm-up
load), `cold` opens a different month each time (the KPI cards are computed for that request). Baseline in the same
run: the login page. Usage: python benchmarks/web.py [--home DEMO_HOME] [--repeat 5]; without --home a demo is built
in a temporary folder first (about a minute). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
NAV_TIMING = """() => { const n = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {ttfb: n.responseStart / 1000, html: n.responseEnd / 1000, fcp: fcp ? fcp.startTime / 1000 : null,
          dom_ready: n.domContentLoadedEventEnd / 1000, load: n.loadEventEnd / 1000}; }"""
CHARTS = "document.querySelectorAll('.plot[data-ready]').length === 4"
FCP_SEEN = "performance.getEntriesByName('first-contentful-paint').length > 0"
MOMENTS = ("fcp", "load", "charts_drawn")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AFTERSALES_HOME": str(home)}
    exe = Path(sys.executable).with_name("aftersales")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx2.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


def _timed(browser: Any, base: str, state: Any, path: str, ready: str | None) -> dict[str, float | None]:
    context = browser.new_context(base_url=base, storage_state=state, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(path, wait_until="load")
    drawn = None
    if ready:
        # Polled every animation frame; the page's clock (performance.now) at that frame is when the last chart drew.
        page.wait_for_function(ready, polling="raf", timeout=60_000)
        drawn = page.evaluate("performance.now()") / 1000
    total = time.perf_counter() - start
    page.wait_for_function(FCP_SEEN, polling="raf", timeout=10_000)  # a page done before its first paint: wait
    timing = page.evaluate(NAV_TIMING)
    context.close()
    out = {"wall": total, **timing, "charts_drawn": drawn}
    return {k: (round(v, 3) if v is not None else None) for k, v in out.items()}


def _medians(runs: list[dict[str, float | None]]) -> dict[str, float | None]:
    keys = ("ttfb", "html", "fcp", "dom_ready", "load", "charts_drawn", "wall")
    out: dict[str, float | None] = {}
    for k in keys:
        seen = [value for r in runs if (value := r.get(k)) is not None]
        out[k] = statistics.median(seen) if seen else None
    return out


def main() -> None:
    """Run the measurement and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, help="an existing demo home (default: build one in a temp folder)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()[0]
    tmp = None
    home = args.home
    if home is None:
        from aftersales.config import load_settings
        from aftersales.demo import build_demo

        tmp = tempfile.TemporaryDirectory()
        home = Path(tmp.name) / "home"
        build_demo(load_settings(home=home), seed=42)
    creds = json.loads((home / "demo" / "credentials.json").read_text(encoding="utf-8"))
    manager = next(u for u in creds["users"] if u["role"] == "manager")
    port = _free_port()
    server = _serve(home, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(base_url=base)
            page = context.new_page()
            page.goto("/login")
            page.fill("#username", manager["username"])
            page.fill("#password", manager["password"])
            with page.expect_navigation():
                page.click("form[action='/login'] button[type=submit]")
            if not page.url.endswith("/dashboard"):
                raise SystemExit(f"login failed: at {page.url}")
            page.wait_for_function(CHARTS, timeout=60_000)  # server warm-up (fills the dashboard's short cache)
            state = context.storage_state()
            context.close()
            warm = [_timed(browser, base, state, "/dashboard", CHARTS) for _ in range(args.repeat)]
            months = [f"2026-{m:02d}" for m in range(9, 9 - args.repeat, -1)]
            cold = [_timed(browser, base, state, f"/dashboard?month={m}", CHARTS) for m in months]
            login = [_timed(browser, base, None, "/login", None) for _ in range(args.repeat)]
            version = browser.version
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if tmp is not None:
            tmp.cleanup()
    result: dict[str, Any] = {
        "benchmark": "web dashboard first load (fresh browser context each run; seconds from navigation start)",
        "browser": f"chromium {version}",
        "cpus": os.cpu_count(),
        "load_average_1min": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "target_s": 1.5,
        "warm": {"median": _medians(warm), "runs": warm},
        "cold": {"median": _medians(cold), "months": months, "runs": cold},
        "baseline_login_page": {"median": _medians(login)},
    }
    result["meets_target"] = {
        series: {m: (v is not None and v <= 1.5) for m in MOMENTS if (v := result[series]["median"][m]) is not None}
        for series in ("warm", "cold")
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
