"""Importer mappings on tiny hand-made frames: C-invoice matching, guests, duplicated reviews, time zones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from aftersales.ingest.importers.base import EntityFrame, ImportReport, blank_to_none, local_iso
from aftersales.ingest.importers.olist import build_olist, dedupe_reviews, review_text
from aftersales.ingest.importers.online_retail import build_online_retail, match_returns
from aftersales.ingest.readers import RawChunk
from aftersales.ingest.schema import get_spec
from aftersales.ingest.validate import validate_chunk
from aftersales.services import IngestSummary

RETAIL_COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
]
# InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID (None = missing), Country
RETAIL_LINES = [
    ("1001", "A", "Apple", 2, "2011-01-10 10:00:00", 1.5, "1", "United Kingdom"),
    ("1001", "B", "Bag", 1, "2011-01-10 10:00:00", 4.0, "1", "United Kingdom"),
    ("1002", "A", "Apple", 3, "2011-03-01 09:00:00", 1.5, "1", "United Kingdom"),
    ("1002", "C", "Cup", 1, "2011-03-01 09:01:00", 2.25, "1", "United Kingdom"),
    ("1003", "A", None, 5, "2011-03-02 12:00:00", 1.0, None, "France"),
    ("1004", "A", None, -7, "2011-03-02 13:00:00", 0.0, None, "United Kingdom"),
    ("A1005", "B", "Adjust bad debt", 1, "2011-03-02 14:00:00", -11062.06, None, "United Kingdom"),
    ("1006", "POST", "POSTAGE", 1, "2011-07-01 08:16:00", 18.0, "2", "Germany"),
    ("1006", "Z", "Zebra", 4, "2011-07-01 08:16:00", 2.0, "2", "Germany"),
    ("C2001", "A", "Apple", -1, "2011-03-05 10:00:00", 1.5, "1", "United Kingdom"),
    ("C2002", "A", "Apple", -1, "2011-03-06 10:00:00", 1.5, "1", "United Kingdom"),
    ("C2002", "B", "Bag", -1, "2011-03-06 10:00:00", 4.0, "1", "United Kingdom"),
    ("C2003", "B", "Bag", -1, "2011-01-05 10:00:00", 4.0, "1", "United Kingdom"),
    ("C2004", "A", "Apple", -2, "2011-03-07 10:00:00", 1.0, None, "France"),
    ("C2005", "POST", "POSTAGE", -1, "2011-07-01 08:16:00", 18.0, "2", "Germany"),
]


def retail_raw() -> pd.DataFrame:
    """The lines above shaped like read_online_retail's output (text IDs, source line numbers)."""
    frame = pd.DataFrame(RETAIL_LINES, columns=[*RETAIL_COLUMNS, "Country"])
    frame["_line"] = frame.index + 2
    return frame


@pytest.fixture(scope="module")
def retail() -> tuple[dict[str, EntityFrame], dict[str, int]]:
    frames, notes = build_online_retail(retail_raw())
    return {f.entity: f for f in frames}, notes


def test_retail_entities_come_in_reference_order(
    retail: tuple[dict[str, EntityFrame], dict[str, int]],
) -> None:
    frames, _ = retail
    assert list(frames) == ["customers", "orders", "order_items", "returns", "return_items"]


def test_sales_become_orders_and_adjustments_are_skipped(
    retail: tuple[dict[str, EntityFrame], dict[str, int]],
) -> None:
    frames, notes = retail
    orders = frames["orders"].frame.set_index("order_id")
    assert list(orders.index) == ["1001", "1002", "1003", "1006"]
    assert notes["skipped_stock_adjustment_lines"] == 1
    assert notes["skipped_bad_debt_lines"] == 1
    assert orders.loc["1002", "amount"] == pytest.approx(3 * 1.5 + 2.25)
    assert orders.loc["1002", "quantity"] == 4
    assert orders.loc["1002", "sku"] == "A"  # the first line's stock code
    assert orders.loc["1006", "region"] == "Germany"
    items = frames["order_items"].frame
    assert items.loc[items["order_id"] == "1002", "item_id"].tolist() == ["1002:1", "1002:2"]
    assert items["line_no"].tolist() == [1, 2, 1, 2, 1, 1, 2]
    assert items.loc[items["item_id"] == "1006:2", "amount"].item() == pytest.approx(8.0)


def test_invoices_without_customer_get_a_guest_per_invoice(
    retail: tuple[dict[str, EntityFrame], dict[str, int]],
) -> None:
    frames, notes = retail
    orders = frames["orders"].frame.set_index("order_id")
    assert orders.loc["1003", "customer_id"] == "guest-1003"
    customers = frames["customers"].frame.set_index("customer_id")
    assert sorted(customers.index) == ["1", "2", "guest-1003"]
    assert customers.loc["guest-1003", "region"] == "France"
    assert notes["guest_orders"] == 1


def test_invoice_time_is_london_wall_clock(retail: tuple[dict[str, EntityFrame], dict[str, int]]) -> None:
    frames, _ = retail
    orders = frames["orders"].frame.set_index("order_id")
    assert orders.loc["1001", "ordered_at"] == "2011-01-10T10:00:00+00:00"  # GMT in winter
    assert orders.loc["1006", "ordered_at"] == "2011-07-01T08:16:00+01:00"  # BST in summer
    assert orders.loc["1002", "ordered_at"] == "2011-03-01T09:00:00+00:00"  # earliest line of the invoice


def test_c_invoices_link_to_the_best_earlier_order(
    retail: tuple[dict[str, EntityFrame], dict[str, int]],
) -> None:
    frames, notes = retail
    returns = frames["returns"].frame.set_index("return_id")
    # C2001 returns A: both 1001 and 1002 contain it, the latest wins.
    assert returns.loc["C2001", "order_id"] == "1002"
    # C2002 returns A and B: only 1001 contains both, so it beats the more recent 1002.
    assert returns.loc["C2002", "order_id"] == "1001"
    # C2005 is at the same minute as 1006 and holds only postage: a refund without goods.
    assert returns.loc["C2005", "order_id"] == "1006"
    assert returns.loc["C2005", "type"] == "refund_only"
    assert returns.loc["C2002", "type"] == "return"
    assert returns.loc["C2002", "refund_amount"] == pytest.approx(5.5)
    assert returns.loc["C2002", "requested_at"] == "2011-03-06T10:00:00+00:00"
    assert notes["c_invoices"] == 5
    assert notes["c_invoices_linked"] == 3


def test_unlinkable_c_invoices_are_rejected_with_reasons(
    retail: tuple[dict[str, EntityFrame], dict[str, int]],
) -> None:
    frames, notes = retail
    rejects = {r.raw[0]: r for r in frames["returns"].rejects}
    assert sorted(rejects) == ["C2003", "C2004"]
    assert "no invoice of customer 1 at or before" in rejects["C2003"].reasons[0]
    assert "no CustomerID" in rejects["C2004"].reasons[0]
    assert rejects["C2003"].row == 14  # source file line of the C invoice
    assert rejects["C2003"].columns == ["order_id"]
    assert notes["c_invoices_without_customer"] == 1
    assert notes["c_invoices_without_matching_order"] == 1
    assert set(frames["returns"].frame["return_id"]).isdisjoint(rejects)


def test_return_items_follow_their_return(retail: tuple[dict[str, EntityFrame], dict[str, int]]) -> None:
    frames, _ = retail
    items = frames["return_items"].frame
    assert items["item_id"].tolist() == ["C2001:1", "C2002:1", "C2002:2", "C2005:1"]
    assert items["quantity"].tolist() == [1, 1, 1, 1]  # returned quantities are positive
    assert [r.raw[0] for r in frames["return_items"].rejects] == ["C2003:1", "C2004:1"]
    assert "C2004 was rejected" in frames["return_items"].rejects[1].reasons[0]


def test_match_returns_ignores_other_customers_and_later_orders() -> None:
    sales = pd.DataFrame(
        {
            "InvoiceNo": ["1", "2", "3"],
            "CustomerID": ["a", "b", "a"],
            "StockCode": ["X", "X", "X"],
            "InvoiceDate": pd.to_datetime(["2011-01-01", "2011-02-01", "2011-05-01"]),
        }
    )
    cancels = pd.DataFrame(
        {
            "InvoiceNo": ["C1"],
            "CustomerID": ["a"],
            "StockCode": ["X"],
            "InvoiceDate": pd.to_datetime(["2011-03-01"]),
        }
    )
    assert match_returns(sales, cancels).to_dict() == {"C1": "1"}


@pytest.mark.parametrize(
    ("zone", "naive", "expected"),
    [
        ("Europe/London", "2011-01-10 10:00:00", "2011-01-10T10:00:00+00:00"),
        ("Europe/London", "2011-07-01 08:16:00", "2011-07-01T08:16:00+01:00"),
        ("Europe/London", "2011-10-30 01:30:00", "2011-10-30T01:30:00+01:00"),  # twice: summer one
        ("Europe/London", "2011-03-27 01:30:00", "2011-03-27T02:00:00+01:00"),  # skipped hour
        ("America/Sao_Paulo", "2017-07-09 21:57:05", "2017-07-09T21:57:05-03:00"),
        ("America/Sao_Paulo", "2018-01-09 21:57:05", "2018-01-09T21:57:05-02:00"),  # Brazilian summer time
        ("America/Sao_Paulo", "2017-10-15 00:00:00", "2017-10-15T01:00:00-02:00"),  # midnight skipped
    ],
)
def test_local_iso(zone: str, naive: str, expected: str) -> None:
    assert local_iso(pd.Series([naive]), zone).tolist() == [expected]


def test_local_iso_keeps_missing_values_missing() -> None:
    assert local_iso(pd.Series(["2011-01-10 10:00:00", None]), "Europe/London").tolist()[1] is None


def test_offsets_survive_validation_under_the_shanghai_default() -> None:
    """The configured zone must not re-interpret importer timestamps: they arrive with offsets."""
    text = local_iso(pd.Series(["2011-07-01 08:16:00", "2017-07-09 21:57:05"]), "Europe/London")
    chunk = RawChunk([["o1", "c1", text[0]], ["o2", "c1", text[1]]], [2, 3])
    checked = validate_chunk(
        chunk,
        {0: "order_id", 1: "customer_id", 2: "ordered_at"},
        get_spec("orders"),
        ZoneInfo("Asia/Shanghai"),
    )
    assert checked.rejects == []
    assert checked.frame["ordered_at"].tolist() == [
        pd.Timestamp(dt.datetime(2011, 7, 1, 7, 16)),
        pd.Timestamp(dt.datetime(2017, 7, 9, 20, 57, 5)),
    ]


def olist_tables() -> dict[str, pd.DataFrame]:
    """Two order addresses of one shopper, an order without items, a review shared by two orders."""
    return {
        "customers": pd.DataFrame(
            {
                "customer_id": ["k1", "k2", "k3"],
                "customer_unique_id": ["U", "U", "V"],
                "customer_state": ["SP", "SP", "RJ"],
            }
        ),
        "orders": pd.DataFrame(
            {
                "order_id": ["o2", "o1", "o3"],
                "customer_id": ["k2", "k1", "k3"],
                "order_purchase_timestamp": [
                    "2018-02-01 10:00:00",
                    "2018-01-01 10:00:00",
                    "2018-03-01 10:00:00",
                ],
                "order_delivered_customer_date": ["2018-02-05 10:00:00", "", ""],
                "order_estimated_delivery_date": [
                    "2018-02-10 00:00:00",
                    "2018-01-10 00:00:00",
                    "2018-03-10 00:00:00",
                ],
            }
        ),
        "items": pd.DataFrame(
            {
                "order_id": ["o1", "o1", "o2"],
                "order_item_id": ["2", "1", "1"],
                "product_id": ["p2", "p1", "p3"],
                "price": ["10.5", "20.25", "7.0"],
            }
        ),
        "products": pd.DataFrame(
            {"product_id": ["p1", "p2", "p3"], "product_category_name": ["beleza_saude", "pc_gamer", ""]}
        ),
        "translation": pd.DataFrame(
            {"product_category_name": ["beleza_saude"], "product_category_name_english": ["health_beauty"]}
        ),
        "reviews": pd.DataFrame(
            {
                "review_id": ["r1", "r1", "r2", "r3"],
                "order_id": ["o2", "o1", "o3", "o1"],
                "review_score": ["1", "1", "5", "4"],
                "review_comment_title": ["Ruim ", "Ruim ", "", "  "],
                "review_comment_message": ["Não chegou\r\nnada", "Não chegou\r\nnada", " ", "ok"],
                "review_answer_timestamp": ["2018-02-20 12:00:00"] * 2 + ["2018-03-20 12:00:00"] * 2,
            }
        ),
    }


@pytest.fixture(scope="module")
def olist() -> tuple[dict[str, EntityFrame], dict[str, int]]:
    frames, notes = build_olist(olist_tables())
    return {f.entity: f for f in frames}, notes


def test_olist_customers_are_unique_shoppers(olist: tuple[dict[str, EntityFrame], dict[str, int]]) -> None:
    frames, _ = olist
    assert sorted(frames["customers"].frame["customer_id"]) == ["U", "V"]
    orders = frames["orders"].frame.set_index("order_id")
    assert orders.loc["o1", "customer_id"] == "U"
    assert orders.loc["o2", "customer_id"] == "U"


def test_olist_orders_amount_sku_category(olist: tuple[dict[str, EntityFrame], dict[str, int]]) -> None:
    frames, notes = olist
    orders = frames["orders"].frame.set_index("order_id")
    assert orders.loc["o1", "amount"] == pytest.approx(30.75)  # prices only, no freight
    assert orders.loc["o1", "sku"] == "p1"  # order_item_id 1, whatever the row order
    assert orders.loc["o1", "category"] == "health_beauty"
    assert orders.loc["o1", "quantity"] == 2
    assert orders.loc["o2", "category"] is None  # empty category stays missing
    assert orders.loc["o3", "amount"] is None and orders.loc["o3", "quantity"] is None
    assert notes["orders_without_items"] == 1
    assert orders.loc["o1", "ordered_at"] == "2018-01-01T10:00:00-02:00"
    assert orders.loc["o2", "delivered_at"] == "2018-02-05T10:00:00-02:00"
    assert orders.loc["o1", "delivered_at"] is None
    assert orders.loc["o3", "promised_at"] == "2018-03-10T00:00:00-03:00"
    items = frames["order_items"].frame.set_index("item_id")
    assert items.loc["o1:2", "category"] == "pc_gamer"  # untranslated: the Portuguese name is kept
    assert notes["items_with_untranslated_category"] == 1


def test_duplicated_review_ids_keep_the_earliest_order(
    olist: tuple[dict[str, EntityFrame], dict[str, int]],
) -> None:
    frames, notes = olist
    surveys = frames["surveys"].frame.set_index("survey_id")
    assert sorted(surveys.index) == ["r1", "r2", "r3"]
    assert surveys.loc["r1", "order_id"] == "o1"  # purchased before o2
    assert notes["duplicate_review_rows_dropped"] == 1


def test_dedupe_reviews_breaks_purchase_ties_by_order_id() -> None:
    reviews = pd.DataFrame({"review_id": ["r", "r"], "order_id": ["b", "a"]})
    same_time = pd.Series(pd.to_datetime(["2018-01-01", "2018-01-01"]), index=["a", "b"])
    assert dedupe_reviews(reviews, same_time)["order_id"].tolist() == ["a"]


def test_reviews_with_text_become_interactions(olist: tuple[dict[str, EntityFrame], dict[str, int]]) -> None:
    frames, notes = olist
    surveys = frames["surveys"].frame.set_index("survey_id")
    assert surveys.loc["r1", "comment"] == "Ruim\nNão chegou\nnada"
    assert surveys.loc["r2", "comment"] is None
    assert surveys.loc["r3", "comment"] == "ok"
    inter = frames["interactions"].frame.set_index("interaction_id")
    assert sorted(inter.index) == ["review-r1", "review-r3"]
    assert inter.loc["review-r1", "customer_id"] == "U"
    assert inter.loc["review-r1", "created_at"] == "2018-02-20T12:00:00-03:00"  # summer time ended 02-18
    assert set(inter["language"]) == {"other"} and set(inter["channel"]) == {"review"}
    assert notes["reviews_with_text"] == 2


def test_review_text_and_blank_to_none() -> None:
    assert review_text(pd.Series(["", "T"]), pd.Series(["  ", "m"])).tolist() == [None, "T\nm"]
    assert blank_to_none(pd.Series([" a ", "", None])).tolist() == ["a", None, None]


def test_report_contract_lists_entity_summaries() -> None:
    report = ImportReport("olist", "dir", [IngestSummary(entity="orders", file="dir", accepted=3)], {"x": 1})
    contract = report.contract()
    assert contract["importer"] == "olist"
    assert contract["entities"][0]["entity"] == "orders" and contract["entities"][0]["accepted"] == 3
    assert contract["notes"] == {"x": 1}
    assert report.summary("orders").accepted == 3
    with pytest.raises(KeyError):
        report.summary("returns")
