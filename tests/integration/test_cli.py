"""CLI contracts: `ingest --json` prints exactly one JSON object with the documented keys; errors exit non-zero."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from aftersales.cli.main import app
from tests.factories import ORDERS, ORDERS_HEADER, write_csv

runner = CliRunner()
CONTRACT_KEYS = ["entity", "file", "accepted", "updated", "unchanged", "rejected", "rejects_file"]


def test_ingest_json_contract(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", ORDERS_HEADER, [*ORDERS, ["O9", "", "2025-01-01", "", "", "", ""]])
    result = runner.invoke(app, ["ingest", "orders", str(path), "--json", "--home", str(tmp_path / "h")])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert list(obj)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert (obj["entity"], obj["accepted"], obj["updated"], obj["unchanged"], obj["rejected"]) == (
        "orders",
        3,
        0,
        0,
        1,
    )
    assert obj["rejects_file"] == str(path) + ".rejects.csv" and Path(obj["rejects_file"]).exists()
    again = json.loads(
        runner.invoke(app, ["ingest", "orders", str(path), "--json", "--home", str(tmp_path / "h")]).stdout
    )
    assert (again["accepted"], again["unchanged"], again["rejected"]) == (0, 3, 1)


def test_ingest_human_output_and_map(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["旺旺号", "姓名"], [["w1", "王"]])
    result = runner.invoke(
        app, ["ingest", "customers", str(path), "--map", "旺旺号=customer_id", "--home", str(tmp_path / "h")]
    )
    assert result.exit_code == 0, result.output
    assert "customers" in result.stdout and "1" in result.stdout


def test_errors_exit_with_code_and_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "orders", str(tmp_path / "missing.csv"), "--home", str(tmp_path)])
    assert result.exit_code == 2
    assert "E100_input_file" in result.output and "not found" in result.output
    bad = write_csv(tmp_path / "b.csv", ["foo"], [["1"]])
    result = runner.invoke(app, ["ingest", "orders", str(bad), "--home", str(tmp_path)])
    assert result.exit_code == 2 and "required column" in result.output
    result = runner.invoke(app, ["ingest", "widgets", str(bad), "--home", str(tmp_path)])
    assert result.exit_code == 2 and "E101_unknown_entity" in result.output


def test_db_upgrade(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--json", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert obj["from"] is None and obj["to"]
    again = json.loads(runner.invoke(app, ["db", "upgrade", "--json", "--home", str(tmp_path)]).stdout)
    assert again["from"] == again["to"] == obj["to"]
