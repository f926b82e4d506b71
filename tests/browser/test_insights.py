"""End-to-end, round 2: a manager asks in Chinese and opens anomalies, forecasts and an action's effect; an admin
validates and simulates a policy. Console errors and failed requests fail the tests (see conftest)."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from tests.browser.conftest import login, screenshot, settle

DEFAULT_POLICY = resources.files("aftersales.policy").joinpath("default.yaml").read_text(encoding="utf-8")


def test_manager_asks_in_chinese_and_reads_insights(page: Any) -> None:
    login(page, "demo-manager")
    settle(page)
    page.locator("#nav-ask").fill("上个月华东地区退货率最高的品类是什么？")
    page.locator("#nav-ask-submit").click()
    page.wait_for_url(re.compile(r"/ask\?q="))
    answer = page.locator("#answer-text").inner_text()
    assert "退货率最高的品类是" in answer and "%" in answer
    assert '"return_rate"' in page.locator("#ask-query").inner_text()  # the structured query it ran
    screenshot(page, "ask")

    page.get_by_role("link", name="洞察").click()
    page.wait_for_url(re.compile(r"/insights/anomalies$"))
    explanation = page.locator("p.explanation").first.inner_text()
    assert "西南" in explanation and "预期" in explanation
    screenshot(page, "anomalies")
    page.locator("a.drill-returns").first.click()
    page.wait_for_url(re.compile(r"/insights/pareto\?.*region="))
    settle(page)
    page.locator("a.bar-link").first.click()
    page.wait_for_url(re.compile(r"/insights/pareto/\w+\?"))
    assert page.locator("table.items tbody tr").count() > 0

    page.get_by_role("link", name="持续变化").click()  # the subnav tab
    page.wait_for_url(re.compile(r"/insights/changes$"))
    first = page.locator("tr.change").first
    assert first.get_attribute("data-value") == "HA-101" and first.get_attribute("data-reason") == "hard_to_use"
    screenshot(page, "changes")

    page.goto("/insights/forecasts?metric=returns")
    settle(page)
    assert page.locator(".plot[data-ready]").count() == 1
    screenshot(page, "forecasts")

    page.get_by_role("link", name="改进措施").first.click()
    page.wait_for_url(re.compile(r"/actions$"))
    page.locator("a.action-link", has_text="说明书改版").click()
    page.wait_for_url(re.compile(r"/actions/DEMO-ACT-001$"))
    settle(page)
    assert page.locator("#verdict").get_attribute("class") == "verdict verdict-improved"
    assert "−78%" in page.locator("#effect-summary").inner_text()
    screenshot(page, "action-effect")


def test_admin_validates_and_simulates_a_policy(page: Any) -> None:
    login(page, "demo-admin")
    settle(page)
    page.get_by_role("link", name="设置").click()
    page.wait_for_url(re.compile(r"/settings/policy$"))
    assert page.locator("#rules tbody tr").count() >= 10
    page.locator("#policy-yaml").fill(DEFAULT_POLICY.replace("emotion: anger\n", "emotion: angry\n", 1))
    page.locator("#validate-policy").click()
    page.wait_for_selector("#validation-errors")
    bad = page.locator("ol.numbered li.bad")
    assert bad.count() == 1 and "angry" in bad.first.inner_text()
    screenshot(page, "policy-validate")
    page.locator("#policy-yaml").fill(DEFAULT_POLICY.replace("priority: P2", "priority: P1", 1))
    page.locator("#simulate-policy").click()
    page.wait_for_selector("#simulation")
    assert page.locator("#sim-priorities tbody tr").count() == 4
    screenshot(page, "policy-simulate")
    page.get_by_role("link", name="用户与 API 密钥").click()
    page.wait_for_url(re.compile(r"/settings/users$"))
    assert page.locator('tr[data-user="demo-manager"]').count() == 1
