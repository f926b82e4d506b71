"""End-to-end: an agent works a case, a manager drills from a chart to a case, the UI switches to English."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import login, screenshot, settle


def test_agent_replies_and_resolves_a_case(page: Any) -> None:
    login(page, "agent-care")
    assert page.url.endswith("/workbench")
    assert page.locator("table.cases tbody tr").count() > 0
    screenshot(page, "workbench-queue")
    page.locator("a.case-link").first.click()
    page.wait_for_selector("#use-draft", timeout=60_000)  # suggestions arrive after the page (KB model warm-up)
    screenshot(page, "workbench", readme=True)
    page.locator("#use-draft").click()
    draft = page.locator("#reply-text").input_value()
    assert len(draft) > 20
    page.locator("#reply-text").fill(draft + "\n（浏览器测试）")
    page.locator("#send-reply").click()
    page.wait_for_selector('[data-notice="replied"]')
    assert page.locator(".msg.agent").last.inner_text().strip().endswith("（浏览器测试）")
    page.locator('button[data-status="resolved"]').click()
    page.wait_for_selector('#case-status[data-status="resolved"]')
    screenshot(page, "case-resolved")


def test_manager_drills_down_from_a_chart_to_a_case(page: Any) -> None:
    login(page, "demo-manager")
    assert page.url.endswith("/dashboard")
    page.wait_for_selector('#plot-pareto[data-ready="1"]')
    page.wait_for_selector('#plot-emotion[data-ready="1"]')
    settle(page)
    assert page.locator("li.kpi").count() >= 12
    assert page.locator("#anomaly-panel li.anomaly").count() >= 1  # the planted 西南 logistics failure
    screenshot(page, "dashboard", readme=True)
    target = page.locator("#plot-pareto .bars .point path").first
    target.scroll_into_view_if_needed()
    bar = target.bounding_box()
    assert bar is not None
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)  # a person's click on the bar
    page.wait_for_url(re.compile(r"/cases/drill\?.*reason="))
    first = page.locator("a.case-link").first
    case_id = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(rf"/cases/{case_id}$"))
    assert case_id in page.locator("h1").first.inner_text()
    assert page.locator(".timeline mark").count() > 0  # evidence words highlighted
    page.wait_for_load_state("networkidle")
    screenshot(page, "drilled-case")


def test_switch_to_english(page: Any) -> None:
    login(page, "demo-manager")
    settle(page)
    page.locator("#lang-toggle").click()
    page.wait_for_selector('html[lang="en"]')
    settle(page)
    assert page.get_by_role("link", name="Dashboard").count() == 1
    assert page.locator("h1").first.inner_text() == "After-sales overview"
    assert "Anomalies" in page.locator("#h-anomalies").inner_text()
    screenshot(page, "dashboard-en")
    page.locator("#nav-ask").fill("return rate by region last month")
    page.locator("#nav-ask-submit").click()
    page.wait_for_selector("#answer-text")
    assert "return rate" in page.locator("#answer-text").inner_text().lower()
    page.locator("#lang-toggle").click()
    page.wait_for_selector('html[lang="zh-CN"]')
