"""Real-data importers against independent pandas / plain-Python recomputations from the raw files."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

from aftersales.config import Settings, load_settings
from aftersales.ingest.importers import ImportReport, import_olist, import_online_retail
from aftersales.storage import db

DATA = Path(os.environ.get("AFTERSALES_SHARED_DATA") or Path(__file__).resolve().parents[2].parent / "shared" / "data")
RETAIL = DATA / "uci_online_retail" / "online_retail.csv.gz"
OLIST = DATA / "olist_sample_8k"

pytestmark = [
    pytest.mark.data,
    pytest.mark.skipif(not (RETAIL.is_file() and OLIST.is_dir()), reason=f"{DATA} not available"),
]


def _settings(home: Path) -> Settings:
    """Explicit URL and zone, so a developer's AFTERSALES_* variables cannot leak into module fixtures."""
    return load_settings(home=home, database_url=f"sqlite:///{home / 'db.sqlite'}", timezone="Asia/Shanghai")


def _query(settings: Settings, sql: str) -> list[Any]:
    with db.get_engine(settings).connect() as conn:
        return list(conn.execute(text(sql)))


def _scalar(settings: Settings, sql: str) -> Any:
    return _query(settings, sql)[0][0]


# -- UCI Online Retail --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def retail_raw() -> pd.DataFrame:
    raw = pd.read_csv(RETAIL, dtype=str, keep_default_na=False)
    raw["qty"] = raw["Quantity"].astype(int)
    raw["price"] = raw["UnitPrice"].astype(float)
    raw["when"] = pd.to_datetime(raw["InvoiceDate"])
    raw["line"] = raw.index + 2
    return raw


@pytest.fixture(scope="module")
def retail_expected(retail_raw: pd.DataFrame) -> dict[str, Any]:
    """Everything the import should produce, recomputed without the importer's code."""
    raw = retail_raw
    is_c = raw["InvoiceNo"].str.startswith("C")
    is_a = raw["InvoiceNo"].str.startswith("A")
    sales = raw[~is_c & ~is_a & (raw["qty"] > 0)]
    cancels = raw[is_c]
    # Link each C invoice by brute force: for every earlier invoice of the customer, count the returned
    # codes it holds; most codes, then latest time, then highest number wins.
    holdings: dict[str, dict[str, tuple[pd.Timestamp, set[str]]]] = defaultdict(dict)
    for inv, cust, code, when in sales[["InvoiceNo", "CustomerID", "StockCode", "when"]].itertuples(index=False):
        if cust:
            first, codes = holdings[cust].get(inv, (when, set()))
            holdings[cust][inv] = (min(first, when), codes | {code})
    links: dict[str, str] = {}
    for inv, group in cancels.groupby("InvoiceNo"):
        cust, when, codes = group["CustomerID"].iloc[0], group["when"].min(), set(group["StockCode"])
        best: tuple[int, pd.Timestamp, str] | None = None
        for order, (ordered, held) in holdings.get(cust, {}).items() if cust else ():
            hits = len(codes & held)
            if hits and ordered <= when and (best is None or (hits, ordered, order) > best):
                best = (hits, ordered, order)
        if best is not None:
            links[str(inv)] = best[2]
    linked = cancels[cancels["InvoiceNo"].isin(links)]
    guests = sales.loc[sales["CustomerID"] == "", "InvoiceNo"].nunique()
    known = set(sales["CustomerID"]) | set(cancels["CustomerID"])
    known.discard("")
    country = linked.drop_duplicates("InvoiceNo").groupby("Country").size().to_dict()
    first_time = sales.groupby("InvoiceNo")["when"].min()
    utc = first_time.dt.tz_localize("Europe/London").dt.tz_convert("UTC").dt.tz_localize(None)
    return {
        "orders": sales["InvoiceNo"].nunique(),
        "order_items": len(sales),
        "order_amount": float((sales["qty"] * sales["price"]).sum()),
        "customers": len(known) + guests,
        "guests": guests,
        "c_invoices": cancels["InvoiceNo"].nunique(),
        "links": links,
        "returns_by_country": country,
        "return_items": len(linked),
        "refund_amount": float((linked["qty"].abs() * linked["price"]).sum()),
        "ordered_at_utc": utc,
    }


@pytest.fixture(scope="module")
def retail_import(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, ImportReport]]:
    settings = _settings(tmp_path_factory.mktemp("retail"))
    report = import_online_retail(RETAIL, settings=settings)
    yield settings, report
    db.dispose_engines()


def test_retail_counts_match_raw_file(
    retail_import: tuple[Settings, ImportReport], retail_expected: dict[str, Any]
) -> None:
    settings, report = retail_import
    exp = retail_expected
    for table in ("orders", "order_items", "customers"):
        assert _scalar(settings, f"SELECT count(*) FROM {table}") == exp[table], table
        assert report.summary(table).accepted == exp[table]
    assert _scalar(settings, "SELECT count(*) FROM customers WHERE pending") == 0
    assert _scalar(settings, "SELECT count(*) FROM orders WHERE customer_id LIKE 'guest-%'") == exp["guests"]
    assert _scalar(settings, "SELECT sum(amount) FROM order_items") == pytest.approx(exp["order_amount"], abs=0.01)
    assert _scalar(settings, "SELECT sum(amount) FROM orders") == pytest.approx(exp["order_amount"], abs=0.5)
    assert (
        _scalar(
            settings,
            "SELECT count(*) FROM orders o WHERE o.quantity != (SELECT sum(quantity) FROM order_items i "
            "WHERE i.order_id = o.order_id)",
        )
        == 0
    )


def test_retail_returns_link_to_the_independently_matched_orders(
    retail_import: tuple[Settings, ImportReport], retail_expected: dict[str, Any]
) -> None:
    settings, report = retail_import
    exp = retail_expected
    links = dict(_query(settings, "SELECT return_id, order_id FROM returns"))
    assert links == exp["links"]
    by_country = dict(_query(settings, "SELECT region, count(*) FROM returns GROUP BY region"))
    assert by_country == exp["returns_by_country"]
    assert _scalar(settings, "SELECT count(*) FROM return_items") == exp["return_items"]
    assert _scalar(settings, "SELECT sum(refund_amount) FROM returns") == pytest.approx(exp["refund_amount"], abs=0.5)
    returns = report.summary("returns")
    assert returns.accepted == len(exp["links"])
    assert returns.rejected == exp["c_invoices"] - len(exp["links"])
    assert report.notes["c_invoices"] == exp["c_invoices"]


def test_retail_unlinked_returns_are_in_the_rejects_file(
    retail_import: tuple[Settings, ImportReport], retail_expected: dict[str, Any]
) -> None:
    _, report = retail_import
    path = report.summary("returns").rejects_file
    assert path is not None
    rejects = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert len(rejects) == retail_expected["c_invoices"] - len(retail_expected["links"])
    assert set(rejects["return_id"]).isdisjoint(retail_expected["links"])
    assert rejects["reason"].str.contains("no CustomerID|no invoice of customer").all()


def test_retail_times_are_london_wall_clock_stored_as_utc(
    retail_import: tuple[Settings, ImportReport], retail_expected: dict[str, Any]
) -> None:
    settings, _ = retail_import
    stored = pd.Series(dict(_query(settings, "SELECT order_id, ordered_at FROM orders")))
    stored = pd.to_datetime(stored)
    expected = retail_expected["ordered_at_utc"]
    assert (stored.sort_index() == expected.sort_index()).all()


# -- Olist --------------------------------------------------------------------------------------------


def _olist(name: str) -> pd.DataFrame:
    return pd.read_csv(OLIST / f"{name}.csv.gz", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def olist_import(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, ImportReport]]:
    settings = _settings(tmp_path_factory.mktemp("olist"))
    report = import_olist(OLIST, settings=settings)
    yield settings, report
    db.dispose_engines()


def test_olist_counts_match_raw_files(olist_import: tuple[Settings, ImportReport]) -> None:
    settings, report = olist_import
    customers, orders, items = (
        _olist("olist_customers_dataset"),
        _olist("olist_orders_dataset"),
        _olist("olist_order_items_dataset"),
    )
    reviews = _olist("olist_order_reviews_dataset")
    with_text = reviews[
        (reviews["review_comment_title"].str.strip() != "") | (reviews["review_comment_message"].str.strip() != "")
    ]
    expected = {
        "customers": customers["customer_unique_id"].nunique(),
        "orders": orders["order_id"].nunique(),
        "order_items": len(items),
        "surveys": reviews["review_id"].nunique(),
        "interactions": with_text["review_id"].nunique(),
    }
    for table, count in expected.items():
        assert _scalar(settings, f"SELECT count(*) FROM {table}") == count, table
        assert report.summary(table).accepted == count
        assert report.summary(table).rejected == 0
    price = items["price"].astype(float).sum()
    assert _scalar(settings, "SELECT sum(amount) FROM orders") == pytest.approx(price, abs=0.05)
    assert _scalar(settings, "SELECT sum(amount) FROM order_items") == pytest.approx(price, abs=0.05)
    assert (
        _scalar(settings, "SELECT count(*) FROM orders WHERE amount IS NULL")
        == (~orders["order_id"].isin(items["order_id"])).sum()
    )
    delivered = (orders["order_delivered_customer_date"] != "").sum()
    assert _scalar(settings, "SELECT count(delivered_at) FROM orders") == delivered
    assert _scalar(settings, "SELECT count(promised_at) FROM orders") == len(orders)


def test_olist_scores_regions_and_duplicate_reviews(olist_import: tuple[Settings, ImportReport]) -> None:
    settings, report = olist_import
    reviews, orders = _olist("olist_order_reviews_dataset"), _olist("olist_orders_dataset")
    customers = _olist("olist_customers_dataset")
    unique_reviews = reviews.drop_duplicates("review_id")
    scores = dict(_query(settings, "SELECT score, count(*) FROM surveys GROUP BY score"))
    assert scores == unique_reviews["review_score"].astype(int).value_counts().to_dict()
    states = customers.drop_duplicates("customer_unique_id")["customer_state"].value_counts().to_dict()
    assert dict(_query(settings, "SELECT region, count(*) FROM customers GROUP BY region")) == states
    # A review_id on several orders is kept once, on the earliest-purchased order.
    bought = orders.set_index("order_id")["order_purchase_timestamp"]
    dup = reviews[reviews["review_id"].duplicated(keep=False)]
    expected = {rid: min(group["order_id"], key=lambda o: (bought[o], o)) for rid, group in dup.groupby("review_id")}
    stored = dict(_query(settings, "SELECT survey_id, order_id FROM surveys"))
    assert expected and {rid: stored[rid] for rid in expected} == expected
    assert report.notes["duplicate_review_rows_dropped"] == len(reviews) - reviews["review_id"].nunique()
    languages = _query(settings, "SELECT DISTINCT language, channel, author FROM interactions")
    assert languages == [("other", "review", "customer")]


def test_olist_times_are_sao_paulo_wall_clock_stored_as_utc(
    olist_import: tuple[Settings, ImportReport],
) -> None:
    settings, _ = olist_import
    orders = _olist("olist_orders_dataset").set_index("order_id")
    local = pd.to_datetime(orders["order_purchase_timestamp"])
    expected = (
        local.dt.tz_localize("America/Sao_Paulo", ambiguous="NaT", nonexistent="shift_forward")
        .dt.tz_convert("UTC")
        .dt.tz_localize(None)
    )
    stored = pd.to_datetime(pd.Series(dict(_query(settings, "SELECT order_id, ordered_at FROM orders"))))
    both = expected.dropna().index  # an ambiguous (clock-change) hour is left out of the comparison
    assert len(both) >= len(orders) - 1
    assert (stored[both] == expected[both]).all()


def test_olist_reimport_changes_nothing(olist_import: tuple[Settings, ImportReport]) -> None:
    settings, first = olist_import
    again = import_olist(OLIST, settings=settings)
    for summary in again.entities:
        assert summary.accepted == 0 and summary.updated == 0, summary.entity
        assert summary.unchanged == first.summary(summary.entity).accepted
