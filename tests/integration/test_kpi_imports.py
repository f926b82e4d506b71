"""KPIs on imported public-data layouts: a hand-made Online Retail file, then the real Online Retail and Olist files
against independent pandas computations from the raw CSVs (docs/case-studies.md reports the numbers)."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from aftersales.config import Settings, load_settings
from aftersales.ingest.importers import import_olist, import_online_retail
from aftersales.services.kpi import compute_kpis
from tests.conftest import shared_data

JAN, FEB = (dt.date(2011, 1, 1), dt.date(2011, 1, 31)), (dt.date(2011, 2, 1), dt.date(2011, 2, 28))
UK, FR = "United Kingdom", "France"

# Four UK sale invoices in January (one a guest, one at 23:30 on the 31st), one C invoice with two lines (one
# return), one C invoice without CustomerID (rejected: not a return), a stock adjustment (skipped); France: an
# order in January and one in February, and two C invoices in February, one returning the January order.
RETAIL_CSV = textwrap.dedent(
    """\
    InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
    536365,A1,LAMP,6,2011-01-05 08:26:00,2.55,17850,United Kingdom
    536365,A2,MUG,8,2011-01-05 08:26:00,3.39,17850,United Kingdom
    536365,A3,BAG,2,2011-01-05 08:26:00,7.65,17850,United Kingdom
    536366,A1,LAMP,6,2011-01-10 09:00:00,2.55,17851,United Kingdom
    536366,A4,CUP,6,2011-01-10 09:00:00,1.85,17851,United Kingdom
    536367,A2,MUG,4,2011-01-20 10:00:00,3.39,,United Kingdom
    536370,B1,CLOCK,3,2011-01-12 12:00:00,9.95,12345,France
    536370,B2,FRAME,2,2011-01-12 12:00:00,4.25,12345,France
    536374,A1,damaged,-5,2011-01-15 13:00:00,0,,United Kingdom
    C536368,A1,LAMP,-2,2011-01-25 11:00:00,2.55,17850,United Kingdom
    C536368,A2,MUG,-8,2011-01-25 11:00:00,3.39,17850,United Kingdom
    C536369,A4,CUP,-1,2011-01-26 11:00:00,1.85,,United Kingdom
    536375,A3,BAG,1,2011-01-31 23:30:00,7.65,17851,United Kingdom
    536371,B1,CLOCK,1,2011-02-03 12:00:00,9.95,12345,France
    C536372,B1,CLOCK,-1,2011-02-07 12:00:00,9.95,12345,France
    C536373,B2,FRAME,-1,2011-02-08 12:00:00,4.25,12345,France
    """
)


def _region_rows(settings: Settings, kpi: str, window: tuple[dt.date, dt.date]) -> dict[str, tuple[float | None, int]]:
    rows = compute_kpis(settings, kpi, by="region", start=window[0], end=window[1])
    return {r["region"]: (r["value"], r["n"]) for r in rows}


@pytest.mark.parametrize(
    ("zone", "window", "expected"),
    [
        # Per invoice: 1 return (C536368, two lines) / 4 orders, not 2 returned lines / 10 sold lines.
        ("Europe/London", JAN, {UK: (1 / 4, 4), FR: (0.0, 1)}),
        # A flow ratio: two returns in February (one of a January order) over February's one order.
        ("Europe/London", FEB, {UK: (None, 0), FR: (2.0, 1)}),
        # Read in Shanghai time, 2011-01-31 23:30 London is 1 February: the month loses an order.
        ("Asia/Shanghai", JAN, {UK: (1 / 3, 3), FR: (0.0, 1)}),
    ],
)
def test_online_retail_return_rate_counts_invoices(
    tmp_path: Path, zone: str, window: tuple[dt.date, dt.date], expected: dict[str, tuple[float | None, int]]
) -> None:
    source = tmp_path / "retail.csv"
    source.write_text(RETAIL_CSV, encoding="utf-8")
    settings = load_settings(home=tmp_path / "home", timezone=zone)
    report = import_online_retail(source, settings=settings)
    assert report.notes["c_invoices"] == 4 and report.notes["c_invoices_linked"] == 3
    got = _region_rows(settings, "return_rate", window)
    assert got == {k: (pytest.approx(v) if v is not None else None, n) for k, (v, n) in expected.items()}


# -- the real files -----------------------------------------------------------------------------------------------


def _months(first: str, last: str) -> list[tuple[pd.Period, tuple[dt.date, dt.date]]]:
    return [(m, (m.start_time.date(), m.end_time.date())) for m in pd.period_range(first, last, freq="M")]


@pytest.mark.data
@pytest.mark.slow
def test_online_retail_return_rate_by_country_and_month_matches_pandas(tmp_path: Path) -> None:
    """Every country × month of the full file: orders = sale invoices, returns = C invoices linkable to an order.

    Independent of the importer: a C invoice counts when its customer has a sale invoice at or before it holding one
    of its StockCodes; it is placed by its own Country and month (London time).
    """
    path = shared_data("uci_online_retail", "online_retail.csv.gz")
    settings = load_settings(home=tmp_path / "home", timezone="Europe/London")
    import_online_retail(path, settings=settings)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw["when"] = pd.to_datetime(raw["InvoiceDate"])
    cancel = raw["InvoiceNo"].str.startswith("C")
    sales = raw[~cancel & ~raw["InvoiceNo"].str.startswith("A") & (raw["Quantity"].astype(int) > 0)]
    orders = sales.groupby("InvoiceNo").agg(country=("Country", "first"), at=("when", "min"))
    credits = raw[cancel & (raw["CustomerID"] != "")]
    pairs = credits.merge(sales, on=["CustomerID", "StockCode"], suffixes=("", "_sale"))
    credit_at = credits.groupby("InvoiceNo")["when"].min()
    sale_at = sales.groupby("InvoiceNo")["when"].min()
    pairs = pairs[pairs["InvoiceNo_sale"].map(sale_at) <= pairs["InvoiceNo"].map(credit_at)]
    returns = credits[credits["InvoiceNo"].isin(set(pairs["InvoiceNo"]))]
    returns = returns.groupby("InvoiceNo").agg(country=("Country", "first"), at=("when", "min"))
    den = orders.groupby(["country", orders["at"].dt.to_period("M")]).size()
    num = returns.groupby(["country", returns["at"].dt.to_period("M")]).size()
    assert len(returns) == 3143
    checked = 0
    for month, window in _months("2010-12", "2011-12"):
        for country, (value, n) in _region_rows(settings, "return_rate", window).items():
            orders_n, returns_n = int(den.get((country, month), 0)), int(num.get((country, month), 0))
            assert n == orders_n, (country, month)
            assert value == (pytest.approx(returns_n / orders_n) if orders_n else None), (country, month)
            checked += 1
    assert checked > 300


@pytest.mark.data
def test_olist_csat_by_state_and_month_matches_pandas(tmp_path: Path) -> None:
    """CSAT = mean review score of reviews answered in the month (São Paulo time), one per review_id, by state."""
    folder = shared_data("olist_sample_8k")
    settings = load_settings(home=tmp_path / "home", timezone="America/Sao_Paulo")
    import_olist(folder, settings=settings)
    reviews = pd.read_csv(folder / "olist_order_reviews_dataset.csv.gz", dtype=str, keep_default_na=False)
    orders = pd.read_csv(folder / "olist_orders_dataset.csv.gz", dtype=str, keep_default_na=False)
    customers = pd.read_csv(folder / "olist_customers_dataset.csv.gz", dtype=str, keep_default_na=False)
    orders = orders.merge(customers, on="customer_id")
    reviews = reviews.merge(orders[["order_id", "order_purchase_timestamp", "customer_state"]], on="order_id")
    # One survey per review_id: the one on the earliest-purchased order (Olist repeats a review on joint orders).
    reviews = reviews.sort_values(["review_id", "order_purchase_timestamp", "order_id"]).drop_duplicates("review_id")
    reviews["month"] = pd.to_datetime(reviews["review_answer_timestamp"]).dt.to_period("M")
    reviews["score"] = reviews["review_score"].astype(int)
    expected = reviews.groupby(["customer_state", "month"])["score"].agg(["mean", "size"])
    checked = 0
    for month, window in _months(str(reviews["month"].min()), str(reviews["month"].max())):
        for state, (value, n) in _region_rows(settings, "csat", window).items():
            if (state, month) not in expected.index:
                assert n == 0, (state, month)
                continue
            mean, size = expected.loc[(state, month)]
            assert (value, n) == (pytest.approx(mean), size), (state, month)
            checked += 1
    assert checked > 100
