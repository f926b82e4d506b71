"""End-to-end ingestion into a real database: upserts, rejects, references, formats, re-runs."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from aftersales import services
from aftersales.config import Settings
from aftersales.errors import ColumnMappingError, InputFileError
from aftersales.storage import db
from aftersales.storage.tables import customers, orders
from tests.factories import (
    CUSTOMERS,
    CUSTOMERS_HEADER,
    ORDERS,
    ORDERS_HEADER,
    write_csv,
    write_jsonl,
    write_parquet,
    write_xlsx,
)


def rows_of(settings: Settings, table, *cols):  # type: ignore[no-untyped-def]
    with db.get_engine(settings).connect() as conn:
        return conn.execute(select(*[table.c[c] for c in cols]).order_by(*[table.c[c] for c in cols])).all()


def read_rejects(path: str | None) -> list[dict[str, str]]:
    assert path is not None
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


MALFORMED = (
    "order_id,customer_id,ordered_at,amount,region\n"
    "O1,C1,2025-01-02 10:00,10.5,华东\n"
    "O2,,2025-01-02 10:00,10.5,华东\n"  # missing id
    "O3,C1,2025-13-45,10.5,华东\n"  # bad date
    "O4,C2,2025-01-03,lots,华南\n"  # bad amount
    "O5,C2,2025-01-04,5,华南\n"
    "O6,C3,2025-01-0"  # truncated last line
)


def test_malformed_file_lands_good_rows_and_reports_every_bad_one(any_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(MALFORMED, encoding="utf-8")
    first = services.ingest_file("orders", path, settings=any_settings)
    assert (first.accepted, first.updated, first.unchanged, first.rejected) == (2, 0, 0, 4)
    rejects = read_rejects(first.rejects_file)
    assert [(r["row"], r["column"]) for r in rejects] == [
        ("3", "customer_id"),
        ("4", "ordered_at"),
        ("5", "amount"),
        ("7", "*"),
    ]
    assert rejects[0]["order_id"] == "O2"  # raw cells kept so the row can be fixed and re-sent
    assert [r.order_id for r in rows_of(any_settings, orders, "order_id")] == ["O1", "O5"]
    second = services.ingest_file("orders", path, settings=any_settings)
    assert (second.accepted, second.updated, second.unchanged, second.rejected) == (0, 0, 2, 4)


def test_overlapping_file_updates_instead_of_duplicating(any_settings: Settings, tmp_path: Path) -> None:
    services.ingest_file("customers", write_csv(tmp_path / "c.csv", CUSTOMERS_HEADER, CUSTOMERS), settings=any_settings)
    changed = [
        ["C2", "李四", "vip", "华南", "2024-02-03 10:00:00"],  # tier changed
        ["C3", "Ann Lee", "regular", "华北", "2024-03-04T08:00:00+00:00"],  # same
        ["C4", "王五", "", "西南", ""],
    ]  # new
    s = services.ingest_file(
        "customers", write_csv(tmp_path / "c2.csv", CUSTOMERS_HEADER, changed), settings=any_settings
    )
    assert (s.accepted, s.updated, s.unchanged, s.rejected) == (1, 1, 1, 0)
    assert s.rejects_file is None
    got = {r.customer_id: r.tier for r in rows_of(any_settings, customers, "customer_id", "tier")}
    assert got == {"C1": "vip", "C2": "vip", "C3": "regular", "C4": None}


def test_columns_absent_from_a_file_are_left_alone(settings: Settings, tmp_path: Path) -> None:
    services.ingest_file("customers", write_csv(tmp_path / "c.csv", CUSTOMERS_HEADER, CUSTOMERS), settings=settings)
    s = services.ingest_file(
        "customers",
        write_csv(tmp_path / "c2.csv", ["customer_id", "region"], [["C1", "华北"]]),
        settings=settings,
    )
    assert (s.updated, s.unchanged) == (1, 0)
    (row,) = [r for r in rows_of(settings, customers, "customer_id", "name", "region") if r.customer_id == "C1"]
    assert (row.name, row.region) == ("张三", "华北")


def test_unknown_customers_become_pending_then_fill_in(any_settings: Settings, tmp_path: Path) -> None:
    s = services.ingest_file("orders", write_csv(tmp_path / "o.csv", ORDERS_HEADER, ORDERS), settings=any_settings)
    assert (s.accepted, s.pending_customers) == (3, 3)
    assert {r.pending for r in rows_of(any_settings, customers, "customer_id", "pending")} == {True}
    c = services.ingest_file(
        "customers", write_csv(tmp_path / "c.csv", CUSTOMERS_HEADER, CUSTOMERS), settings=any_settings
    )
    assert (c.accepted, c.updated) == (3, 0)  # a pending customer counts as new when its row arrives
    assert {r.pending for r in rows_of(any_settings, customers, "customer_id", "pending")} == {False}


def test_returns_need_a_known_order(any_settings: Settings, tmp_path: Path) -> None:
    header = ["退货单号", "订单号", "申请时间", "退货原因", "退货说明"]
    rows = [
        ["R1", "O1", "2025-01-05", "质量问题", "用两天就坏了"],
        ["R2", "O404", "2025-01-05", "size_fit", ""],
        ["R3", "O2", "2025-01-06", "bogus", ""],
    ]
    path = write_csv(tmp_path / "r.csv", header, rows)
    services.ingest_file("orders", write_csv(tmp_path / "o.csv", ORDERS_HEADER, ORDERS), settings=any_settings)
    s = services.ingest_file("returns", path, settings=any_settings)
    assert (s.accepted, s.rejected) == (1, 2)
    reasons = {r["row"]: r["reason"] for r in read_rejects(s.rejects_file)}
    assert "unknown order_id 'O404'" in reasons["3"] and "unknown code 'bogus'" in reasons["4"]


@pytest.mark.parametrize("fmt", ["xlsx", "jsonl", "parquet", "gbk-csv", "tsv"])
def test_every_format_ingests_the_same(settings: Settings, tmp_path: Path, fmt: str) -> None:
    if fmt == "xlsx":
        path = write_xlsx(tmp_path / "o.xlsx", ORDERS_HEADER, ORDERS)
    elif fmt == "jsonl":
        path = write_jsonl(tmp_path / "o.jsonl", [dict(zip(ORDERS_HEADER, r, strict=True)) for r in ORDERS])
    elif fmt == "parquet":
        path = write_parquet(tmp_path / "o.parquet", ORDERS_HEADER, ORDERS)
    elif fmt == "tsv":
        path = write_csv(tmp_path / "o.tsv", ORDERS_HEADER, ORDERS, delimiter="\t")
    else:
        path = write_csv(tmp_path / "o.csv", ORDERS_HEADER, ORDERS, encoding="gbk")
    s = services.ingest_file("orders", path, settings=settings)
    assert (s.accepted, s.rejected) == (3, 0), s
    got = rows_of(settings, orders, "order_id", "amount", "category", "ordered_at")
    assert [(r.order_id, r.amount, r.category) for r in got] == [
        ("O1", 199.5, "小家电"),
        ("O2", 88.0, "服装"),
        ("O3", 1288.0, "服装"),
    ]
    assert str(got[0].ordered_at) == "2025-01-02 02:00:00"  # stored as UTC


def test_map_option_and_missing_columns(settings: Settings, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["买家旺旺", "nick"], [["wang1", "旺仔"]])
    with pytest.raises(ColumnMappingError, match="customer_id"):
        services.ingest_file("customers", path, settings=settings)
    s = services.ingest_file("customers", path, settings=settings, map_options=["买家旺旺=customer_id", "nick=name"])
    assert s.accepted == 1 and s.ignored_columns == []
    with pytest.raises(ColumnMappingError, match="not a column"):
        services.ingest_file("customers", path, settings=settings, map_options=["nick=nickname"])


def test_interrupted_run_keeps_committed_batches(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"ingest_batch_size": 100})
    rows = [[f"C{i}", f"name{i}"] for i in range(250)]
    path = write_csv(tmp_path / "c.csv", ["customer_id", "name"], rows)
    from aftersales.ingest import validate as validate_mod

    calls = {"n": 0}
    real = validate_mod.validate_chunk

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the user pressed Ctrl-C during the second batch
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "validate_chunk", flaky)
    with pytest.raises(KeyboardInterrupt):
        services.ingest_file("customers", path, settings=settings)
    assert len(rows_of(settings, customers, "customer_id")) == 100
    monkeypatch.setattr(services, "validate_chunk", real)
    s = services.ingest_file("customers", path, settings=settings)
    assert (s.accepted, s.unchanged) == (150, 100)


def test_rejects_go_to_home_when_input_folder_is_read_only(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = write_csv(folder / "c.csv", ["customer_id", "tier"], [["C1", "gold"]])
    folder.chmod(0o555)
    try:
        s = services.ingest_file("customers", path, settings=settings)
    finally:
        folder.chmod(0o755)
    assert s.rejected == 1
    assert s.rejects_file is not None and Path(s.rejects_file).parent == settings.home / "rejects"


def test_unknown_entity_and_missing_file(settings: Settings, tmp_path: Path) -> None:
    from aftersales.errors import UnknownEntityError

    with pytest.raises(UnknownEntityError):
        services.ingest_file("tickets", tmp_path / "x.csv", settings=settings)
    with pytest.raises(InputFileError, match="not found"):
        services.ingest_file("orders", tmp_path / "x.csv", settings=settings)


def test_pii_in_free_text_is_masked_before_storage(settings: Settings, tmp_path: Path) -> None:
    from aftersales.storage.tables import interactions

    header = ["interaction_id", "customer_id", "text", "created_at"]
    rows = [
        ["I1", "C1", "我的电话13812345678，订单号20231111000012345678还没发货", "2025-01-01"],
        ["I2", "C1", "质量太差了", "2025-01-01"],
    ]
    path = write_csv(tmp_path / "i.csv", header, rows)
    s = services.ingest_file("interactions", path, settings=settings)
    assert (s.accepted, s.pii_masked) == (2, 1)
    stored = {r.interaction_id: r.text for r in rows_of(settings, interactions, "interaction_id", "text")}
    assert stored["I1"] == "我的电话<PHONE>，订单号20231111000012345678还没发货"  # the order number stays
    assert stored["I2"] == "质量太差了"
    again = services.ingest_file("interactions", path, settings=settings)
    assert (again.unchanged, again.updated) == (2, 0)
    plain = settings.model_copy(update={"mask_pii": False, "home": tmp_path / "plain"})
    services.ingest_file("interactions", path, settings=plain)
    assert any("13812345678" in r.text for r in rows_of(plain, interactions, "interaction_id", "text"))
