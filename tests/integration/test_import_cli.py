"""`aftersales import` on tiny hand-made files; the new order_items / return_items / promised_at files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
from sqlalchemy import text
from typer.testing import CliRunner

from aftersales import services
from aftersales.cli.main import app
from aftersales.config import Settings, load_settings
from aftersales.storage import db

runner = CliRunner()

RETAIL_CSV = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
1001,A,Apple,2,2011-01-10 10:00:00,1.5,17850,United Kingdom
1001,B,Bag,1,2011-01-10 10:00:00,4.0,17850,United Kingdom
1002,A,Apple,3,2011-06-01 09:00:00,1.5,17850,United Kingdom
1003,A,,5,2011-06-02 12:00:00,1.0,,France
1004,A,,-7,2011-06-02 13:00:00,0.0,,United Kingdom
C2001,A,Apple,-1,2011-06-05 10:00:00,1.5,17850,United Kingdom
C2002,B,Bag,-1,2011-01-05 10:00:00,4.0,17850,United Kingdom
"""


def _rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    with db.get_engine(settings).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_online_retail_cli_json(tmp_path: Path) -> None:
    source = tmp_path / "online_retail.csv.gz"
    source.write_bytes(gzip.compress(RETAIL_CSV.encode()))
    home = tmp_path / "home"
    result = runner.invoke(app, ["import", "online-retail", str(source), "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["importer"] == "online_retail"
    by_entity = {e["entity"]: e for e in report["entities"]}
    assert list(by_entity) == ["customers", "orders", "order_items", "returns", "return_items"]
    assert (by_entity["orders"]["accepted"], by_entity["order_items"]["accepted"]) == (3, 4)
    assert (by_entity["returns"]["accepted"], by_entity["returns"]["rejected"]) == (1, 1)
    assert report["notes"]["skipped_stock_adjustment_lines"] == 1
    rejects = pd.read_csv(by_entity["returns"]["rejects_file"], dtype=str, encoding="utf-8-sig")
    assert rejects["return_id"].tolist() == ["C2002"]
    assert rejects["row"].tolist() == ["8"]  # the C invoice's line in the source file
    settings = load_settings(home=home)
    assert _rows(settings, "SELECT return_id, order_id, customer_id FROM returns") == [("C2001", "1002", "17850")]
    # 09:00 BST on 1 June is 08:00 UTC; the configured Asia/Shanghai default must not apply.
    assert _rows(settings, "SELECT ordered_at FROM orders WHERE order_id = '1002'")[0][0].startswith(
        "2011-06-01 08:00:00"
    )
    assert _rows(settings, "SELECT customer_id FROM orders WHERE order_id = '1003'") == [("guest-1003",)]
    human = runner.invoke(app, ["import", "online-retail", str(source), "--home", str(home)])
    assert human.exit_code == 0, human.output
    assert "unchanged" in human.stdout and "c invoices linked: 1" in human.stdout


def _write_olist(folder: Path) -> None:
    folder.mkdir()
    tables = {
        "olist_customers_dataset": "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,"
        "customer_state\nk1,U,1,sp,SP\nk2,U,1,sp,SP\n",
        "olist_orders_dataset": "order_id,customer_id,order_status,order_purchase_timestamp,"
        "order_approved_at,order_delivered_carrier_date,order_delivered_customer_date,"
        "order_estimated_delivery_date\n"
        "o1,k1,delivered,2017-07-09 21:57:05,,,2017-07-26 10:57:55,2017-08-01 00:00:00\n"
        "o2,k2,canceled,2017-07-10 10:00:00,,,,2017-08-02 00:00:00\n",
        "olist_order_items_dataset": "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,"
        "freight_value\no1,1,p1,s1,2017-07-12 00:00:00,99.9,27.65\n",
        "olist_order_reviews_dataset": "review_id,order_id,review_score,review_comment_title,"
        "review_comment_message,review_creation_date,review_answer_timestamp\n"
        "r1,o1,1,Não chegou,Péssimo,2017-08-02 00:00:00,2017-08-03 10:00:00\n"
        "r1,o2,1,Não chegou,Péssimo,2017-08-02 00:00:00,2017-08-03 10:00:00\n",
        "olist_products_dataset": "product_id,product_category_name\np1,beleza_saude\n",
        "product_category_name_translation": "product_category_name,product_category_name_english\n"
        "beleza_saude,health_beauty\n",
    }
    for name, body in tables.items():
        (folder / f"{name}.csv.gz").write_bytes(gzip.compress(body.encode()))


def test_olist_cli_json(tmp_path: Path) -> None:
    folder = tmp_path / "olist"
    _write_olist(folder)
    home = tmp_path / "home"
    result = runner.invoke(app, ["import", "olist", str(folder), "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    counts = {e["entity"]: (e["accepted"], e["rejected"]) for e in report["entities"]}
    assert counts == {
        "customers": (1, 0),
        "orders": (2, 0),
        "order_items": (1, 0),
        "surveys": (1, 0),
        "interactions": (1, 0),
    }
    settings = load_settings(home=home)
    assert _rows(settings, "SELECT order_id, category, amount FROM orders ORDER BY order_id") == [
        ("o1", "health_beauty", 99.9),
        ("o2", None, None),
    ]
    promised = _rows(settings, "SELECT promised_at FROM orders WHERE order_id = 'o1'")[0][0]
    assert str(promised).startswith("2017-08-01 03:00:00")  # midnight in São Paulo (UTC-3)
    assert _rows(settings, "SELECT survey_id, order_id, score FROM surveys") == [("r1", "o1", 1)]


def test_import_errors_exit_with_input_code(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "olist", str(tmp_path / "nowhere"), "--home", str(tmp_path / "h")])
    assert result.exit_code == 2 and "E100_input_file" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["import", "olist", str(empty), "--home", str(tmp_path / "h")])
    assert result.exit_code == 2 and "olist_customers_dataset" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["import", "online-retail", str(bad), "--home", str(tmp_path / "h")])
    assert result.exit_code == 2 and "missing columns" in result.output


def test_line_files_ingest_with_chinese_headers(settings: Settings, tmp_path: Path) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "订单号,客户ID,下单时间,预计送达时间\nO1,C1,2025-03-01 10:00,2025-03-04 18:00\n", encoding="utf-8"
    )
    items = tmp_path / "items.csv"
    items.write_text(
        "明细ID,订单号,行号,商品编码,数量,单价,金额\nO1:1,O1,1,S1,2,9.5,19\nO9:1,O9,1,S1,1,1,1\nO1:2,O1,0,S2,1,1,1\n",
        encoding="utf-8",
    )
    assert services.ingest_file("orders", orders, settings=settings).accepted == 1
    summary = services.ingest_file("order_items", items, settings=settings)
    assert (summary.accepted, summary.rejected) == (1, 2)  # unknown order O9; line_no below 1
    assert _rows(settings, "SELECT promised_at FROM orders")[0][0].startswith("2025-03-04 10:00:00")
    assert _rows(settings, "SELECT item_id, line_no, sku, quantity, unit_price, amount FROM order_items") == [
        ("O1:1", 1, "S1", 2, 9.5, 19.0)
    ]
    returns = tmp_path / "returns.csv"
    returns.write_text("return_id,order_id,requested_at\nR1,O1,2025-03-06\n", encoding="utf-8")
    ritems = tmp_path / "ritems.csv"
    ritems.write_text("item_id,return_id,line_no,sku,quantity,amount\nR1:1,R1,1,S1,1,9.5\nR2:1,R2,1,S1,1,1\n")
    services.ingest_file("returns", returns, settings=settings)
    summary = services.ingest_file("return_items", ritems, settings=settings)
    assert (summary.accepted, summary.rejected) == (1, 1)
    assert services.count_entities(settings)["return_items"] == 1
