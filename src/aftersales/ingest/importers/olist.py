"""Olist (Brazilian e-commerce) importer: customers, orders, order_items, CSAT surveys, review interactions.

Definitions and heuristics are documented in docs/importers.md; in short:

* a customer is Olist's ``customer_unique_id`` (its per-order ``customer_id`` is only an order-address key);
* order amount = Σ item price (merchandise value; freight left out, as order_items carry no freight either);
  orders with no items get no amount, sku, category or quantity rather than zeros;
* every review is a CSAT survey (score 1-5); a review with a title or message is also a customer
  interaction on the review channel (language ``other``: Portuguese);
* a review_id that appears on several orders (Olist sends one review for orders bought together) is kept once,
  linked to the earliest-purchased of its orders;
* Olist timestamps are Brazilian wall-clock time and are handed to ingest with the America/Sao_Paulo offset.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aftersales.config import Settings
from aftersales.errors import InputFileError
from aftersales.ingest.importers.base import (
    EntityFrame,
    ImportReport,
    StepFn,
    blank_to_none,
    local_iso,
    nullable,
    run_import,
)

IMPORTER = "olist"
ZONE = "America/Sao_Paulo"
FILES = {
    "customers": "olist_customers_dataset",
    "orders": "olist_orders_dataset",
    "items": "olist_order_items_dataset",
    "reviews": "olist_order_reviews_dataset",
    "products": "olist_products_dataset",
    "translation": "product_category_name_translation",
}
REQUIRED_COLUMNS = {
    "customers": ("customer_id", "customer_unique_id", "customer_state"),
    "orders": (
        "order_id",
        "customer_id",
        "order_purchase_timestamp",
        "order_delivered_customer_date",
        "order_estimated_delivery_date",
    ),
    "items": ("order_id", "order_item_id", "product_id", "price"),
    "reviews": (
        "review_id",
        "order_id",
        "review_score",
        "review_comment_title",
        "review_comment_message",
        "review_answer_timestamp",
    ),
    "products": ("product_id", "product_category_name"),
    "translation": ("product_category_name", "product_category_name_english"),
}


def _find(directory: Path, stem: str) -> Path:
    for suffix in (".csv.gz", ".csv"):
        path = directory / f"{stem}{suffix}"
        if path.is_file():
            return path
    raise InputFileError(f"{directory}: missing {stem}.csv(.gz); is this the Olist data directory?")


def read_olist(directory: str | Path) -> dict[str, pd.DataFrame]:
    """Read the six Olist tables the importer uses, every column as text (empty cells as '')."""
    folder = Path(directory)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a directory (expected the Olist csv.gz files)")
    tables: dict[str, pd.DataFrame] = {}
    for name, stem in FILES.items():
        path = _find(folder, stem)
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{path}: cannot read: {exc}") from exc
        missing = [c for c in REQUIRED_COLUMNS[name] if c not in frame.columns]
        if missing:
            raise InputFileError(f"{path}: missing columns {missing}")
        tables[name] = frame
    return tables


def review_text(title: pd.Series, message: pd.Series) -> pd.Series:
    """Title and message joined by a newline (either may be empty); None when both are empty."""
    parts = pd.DataFrame({"t": blank_to_none(title), "m": blank_to_none(message)})
    joined = parts.apply(lambda r: "\n".join(p for p in (r["t"], r["m"]) if p is not None), axis=1)
    joined = joined.astype("object").str.replace("\r\n", "\n").str.replace("\r", "\n")
    return joined.where(joined.str.len() > 0, None)


def dedupe_reviews(reviews: pd.DataFrame, purchased_at: pd.Series) -> pd.DataFrame:
    """One row per review_id: the one whose order was purchased first (then the lowest order_id)."""
    ranked = reviews.assign(_purchased=reviews["order_id"].map(purchased_at))
    ranked = ranked.sort_values(["review_id", "_purchased", "order_id"], kind="stable")
    return ranked.drop_duplicates("review_id", keep="first").drop(columns="_purchased")


def build_olist(tables: dict[str, pd.DataFrame]) -> tuple[list[EntityFrame], dict[str, int]]:
    """Map the Olist tables to entity frames (in ingest order) and importer counts; pure, no database."""
    cust = tables["customers"]
    raw_orders = tables["orders"]
    items = tables["items"].copy()
    reviews = tables["reviews"]
    products = tables["products"]
    translation = tables["translation"]

    unique_of = cust.set_index("customer_id")["customer_unique_id"]
    state_of = cust.set_index("customer_id")["customer_state"]
    orders = raw_orders.assign(
        unique_id=raw_orders["customer_id"].map(unique_of),
        state=blank_to_none(raw_orders["customer_id"].map(state_of)),
        purchased=pd.to_datetime(raw_orders["order_purchase_timestamp"], format="ISO8601", errors="coerce"),
    )

    english = translation.set_index("product_category_name")["product_category_name_english"]
    category_pt = blank_to_none(products.set_index("product_id")["product_category_name"])
    category = category_pt.map(lambda c: english.get(c, c) if c is not None else None)
    items["line_no"] = pd.to_numeric(items["order_item_id"], errors="raise").astype("int64")
    items["price_f"] = pd.to_numeric(items["price"], errors="raise").astype("float64")
    items["category"] = items["product_id"].map(category)
    items = items.sort_values(["order_id", "line_no"], kind="stable")
    per_order = items.groupby("order_id").agg(
        sku=("product_id", "first"),
        category=("category", "first"),
        quantity=("line_no", "size"),
        amount=("price_f", "sum"),
    )

    # Customers: region = state of the customer's latest order (no unique customer moved in this sample).
    latest = orders.sort_values(["purchased", "order_id"]).drop_duplicates("unique_id", keep="last")
    customers = pd.DataFrame({"customer_id": latest["unique_id"], "region": latest["state"]})

    joined = orders.join(per_order, on="order_id")
    orders_frame = pd.DataFrame(
        {
            "order_id": joined["order_id"],
            "customer_id": joined["unique_id"],
            "ordered_at": local_iso(joined["order_purchase_timestamp"], ZONE),
            "sku": nullable(joined["sku"]),
            "category": nullable(joined["category"]),
            "region": joined["state"],
            "quantity": nullable(joined["quantity"].astype("Int64")),
            "amount": nullable(joined["amount"].round(2)),
            "delivered_at": local_iso(blank_to_none(joined["order_delivered_customer_date"]), ZONE),
            "promised_at": local_iso(blank_to_none(joined["order_estimated_delivery_date"]), ZONE),
        }
    )
    items_frame = pd.DataFrame(
        {
            "item_id": items["order_id"] + ":" + items["line_no"].astype(str),
            "order_id": items["order_id"],
            "line_no": items["line_no"],
            "sku": items["product_id"],
            "category": nullable(items["category"]),
            "quantity": 1,
            "unit_price": items["price_f"],
            "amount": items["price_f"],
        }
    )

    purchased_at = orders.set_index("order_id")["purchased"]
    kept = dedupe_reviews(reviews, purchased_at)
    customer_of_order = orders.set_index("order_id")["unique_id"]
    comment = review_text(kept["review_comment_title"], kept["review_comment_message"])
    answered = local_iso(kept["review_answer_timestamp"], ZONE)
    surveys = pd.DataFrame(
        {
            "survey_id": kept["review_id"],
            "customer_id": kept["order_id"].map(customer_of_order),
            "kind": "csat",
            "score": kept["review_score"],
            "answered_at": answered,
            "order_id": kept["order_id"],
            "comment": comment,
        }
    )
    has_text = comment.notna()
    interactions = pd.DataFrame(
        {
            "interaction_id": "review-" + kept.loc[has_text, "review_id"],
            "customer_id": surveys.loc[has_text, "customer_id"],
            "text": comment[has_text],
            "created_at": answered[has_text],
            "order_id": kept.loc[has_text, "order_id"],
            "channel": "review",
            "author": "customer",
            "language": "other",
        }
    )
    notes = {
        "source_customer_rows": len(cust),
        "unique_customers": len(customers),
        "orders_without_items": int(joined["quantity"].isna().sum()),
        "review_rows": len(reviews),
        "duplicate_review_rows_dropped": len(reviews) - len(kept),
        "reviews_with_text": int(has_text.sum()),
        "items_with_untranslated_category": int(
            (items["category"].notna() & ~items["product_id"].map(category_pt).isin(english.index)).sum()
        ),
    }
    frames = [
        EntityFrame("customers", customers.reset_index(drop=True)),
        EntityFrame("orders", orders_frame.reset_index(drop=True)),
        EntityFrame("order_items", items_frame.reset_index(drop=True)),
        EntityFrame("surveys", surveys.reset_index(drop=True)),
        EntityFrame("interactions", interactions.reset_index(drop=True)),
    ]
    return frames, notes


def import_olist(
    directory: str | Path, *, settings: Settings | None = None, on_step: StepFn | None = None
) -> ImportReport:
    """Import an Olist data directory into the store: one summary per entity plus importer counts."""
    folder = Path(directory)
    return run_import(
        IMPORTER, str(folder), lambda: build_olist(read_olist(folder)), settings=settings, on_step=on_step
    )
