"""`aftersales report` on the demo: every section renders offline, HTML and XLSX agree with the services."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from aftersales.analytics.kpis import get_kpi
from aftersales.cli.main import app
from aftersales.services import report as report_service
from aftersales.services.kpi import compute_kpis
from tests.conftest import DemoHome

SECTIONS = ["kpis", "pareto", "stated-actual", "anomalies", "changes", "forecast", "actions", "segments", "verbatims"]


@pytest.fixture(scope="module")
def written(demo_home: DemoHome, tmp_path_factory: pytest.TempPathFactory) -> report_service.WrittenReport:
    out = tmp_path_factory.mktemp("report")
    return report_service.write_report(
        demo_home.settings, "2026-10", out / "r.html", out / "r.xlsx", locale="zh-CN", today=dt.date(2026, 11, 1)
    )


def test_every_section_is_built(written: report_service.WrittenReport) -> None:
    assert written.sections == SECTIONS
    assert not [s for s in written.sections if s.startswith("failed-")]


def test_html_is_self_contained_and_finds_the_planted_spike(written: report_service.WrittenReport) -> None:
    assert written.html is not None
    html = written.html.read_text(encoding="utf-8")
    head, body = html.split("</head>", 1)
    assert "Plotly.newPlot" in body and len(head) > 1_000_000  # plotly.js is inline, nothing is fetched
    assert 'src="http' not in html and "cdn.plot.ly/plotly" not in body
    assert all(f'id="{key}"' in html for key in written.sections)
    assert "西南" in body.split('id="anomalies"')[1].split("</section>")[0]
    changes = body.split('id="changes"')[1].split("</section>")[0]
    assert changes.index("HA-101") < changes.index("</tr>", changes.index("<tbody"))  # the first row of the table
    actions = body.split('id="actions"')[1].split("</section>")[0]
    assert "DEMO-ACT-001" in actions and "说明书改版" in actions


def test_workbook_kpis_equal_the_kpi_service(demo_home: DemoHome, written: report_service.WrittenReport) -> None:
    assert written.xlsx is not None
    wb = load_workbook(written.xlsx)
    ws = wb["关键指标"]
    sheet = {row[0]: row[1] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]}
    expected = compute_kpis(demo_home.settings, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    for row in expected:
        label = get_kpi(row["kpi"]).zh
        if row["value"] is None:
            assert sheet[label] is None
        else:
            assert sheet[label] == pytest.approx(row["value"]), label
    assert {"退货原因帕累托", "异常"} <= set(wb.sheetnames)


def test_a_failing_section_is_shown_and_the_rest_survive(
    demo_home: DemoHome, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("disk on fire")

    original = report_service._sections

    def sections() -> list[report_service.SectionBuilder]:
        return [broken, *original()[:1]]  # type: ignore[list-item]

    monkeypatch.setattr(report_service, "_sections", sections)
    report = report_service.build_report(demo_home.settings, "2026-10", "en", dt.date(2026, 11, 1))
    assert [s.key for s in report.sections] == ["failed-broken", "kpis"]
    assert "disk on fire" in report.sections[0].summary[0]


def test_cli_writes_both_files_and_json(demo_home: DemoHome, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(demo_home.settings.home, home)
    result = CliRunner().invoke(
        app,
        ["report", "--period", "2026-10", "--out", str(tmp_path / "{period}.html"), "--xlsx",
         str(tmp_path / "{period}.xlsx"), "--locale", "en", "--home", str(home), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["period"] == "2026-10" and Path(out["html"]).name == "2026-10.html" and Path(out["xlsx"]).exists()
    assert '<html lang="en">' in Path(out["html"]).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13"], "--period"),
        (["--period", "2026-10", "--schedule", "0 8 * * MON"], "same report every time"),
        (["--schedule", "0 8 * *"], "5 fields"),
        (["--locale", "fr"], "zh-CN or en"),
    ],
)
def test_cli_bad_arguments_are_clear_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["report", *args, "--home", str(tmp_path / "h")])
    assert result.exit_code == 2, result.output
    assert message in result.output
