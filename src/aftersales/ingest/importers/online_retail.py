"""UCI Online Retail importer: invoice lines → customers, orders, order_items, returns, return_items.

Definitions and heuristics are documented in docs/importers.md; in short:

* a non-"C" invoice with positive-quantity lines is an order; its non-positive lines (stock adjustments such
  as "damaged" or "lost", never linked to a customer) and the "A" bad-debt adjustments are skipped, counted;
* an invoice without CustomerID belongs to a per-invoice guest customer ``guest-<InvoiceNo>``;
* a "C" invoice is a return, linked to the same customer's most recent invoice at or before it that contains
  the returned StockCodes (the one containing most of them; the latest among equals); unlinkable C invoices
  are rejected with the reason written to the rejects file;
* InvoiceDate is UK wall-clock time and is handed to ingest as ISO-8601 with the Europe/London offset.
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
    make_rejects,
    run_import,
)

IMPORTER = "online_retail"
ZONE = "Europe/London"
GUEST_PREFIX = "guest-"
COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
# StockCodes that are charges, fees or corrections rather than goods: a C invoice made only of these is a
# refund without goods coming back (type refund_only); any goods line makes it a return.
NON_GOODS = frozenset({"POST", "DOT", "C2", "D", "M", "m", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK"})
SHOWN_CODES = 5


def read_online_retail(path: str | Path) -> pd.DataFrame:
    """Read the CSV (plain or .gz), ID columns as text; adds `_line`, the source line number for rejects."""
    source = Path(path)
    if not source.is_file():
        raise InputFileError(f"{source}: file not found")
    try:
        raw = pd.read_csv(
            source,
            dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "CustomerID": str, "Country": str},
            keep_default_na=False,
            na_values={"CustomerID": [""], "Description": [""]},
        )
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{source}: cannot read as Online Retail CSV: {exc}") from exc
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise InputFileError(f"{source}: not the UCI Online Retail layout; missing columns {missing}")
    raw["_line"] = raw.index + 2  # header is line 1; the data has no embedded newlines
    return raw


def _prepare(raw: pd.DataFrame) -> pd.DataFrame:
    """Typed, trimmed lines with invoice kind, customer (guests included) and local timestamps."""
    df = raw.copy()
    for col in ("InvoiceNo", "StockCode", "Country"):
        df[col] = df[col].astype(str).str.strip()
    df["Description"] = blank_to_none(df["Description"])
    # IDs were floats in some copies of the data ("17850.0"): keep the integer text.
    df["CustomerID"] = blank_to_none(df["CustomerID"].str.replace(r"\.0$", "", regex=True))
    df["Quantity"] = pd.to_numeric(df["Quantity"], errors="raise").astype("int64")
    df["UnitPrice"] = pd.to_numeric(df["UnitPrice"], errors="raise").astype("float64")
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"], format="ISO8601")
    first = df["InvoiceNo"].str[:1].str.upper()
    df["kind"] = "sale"
    df.loc[first == "C", "kind"] = "cancel"
    df.loc[first == "A", "kind"] = "bad_debt"
    df.loc[(df["kind"] == "sale") & (df["Quantity"] <= 0), "kind"] = "adjustment"
    df["line_amount"] = df["Quantity"].abs() * df["UnitPrice"]
    return df


def _invoices(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per invoice: first-line fields, earliest time, and totals (file order kept)."""
    g = lines.groupby("InvoiceNo", sort=False)
    out = g.agg(
        customer_id=("customer_id", "first"),
        at=("InvoiceDate", "min"),
        region=("Country", "first"),
        sku=("StockCode", "first"),
        product_name=("Description", "first"),
        quantity=("Quantity", "sum"),
        amount=("line_amount", "sum"),
        line=("_line", "min"),
    ).reset_index()
    out["amount"] = out["amount"].round(2)
    return out


def match_returns(sales: pd.DataFrame, cancels: pd.DataFrame) -> pd.Series:
    """Order matched to each C invoice (index = C InvoiceNo, value = order InvoiceNo; unmatched absent).

    Candidates are the same customer's sale invoices dated at or before the C invoice that contain at least
    one returned StockCode; the candidate containing most distinct returned codes wins, then the latest,
    then the highest invoice number (invoice numbers grow with time).
    """
    keys = ["CustomerID", "StockCode"]

    def by_code(lines: pd.DataFrame, id_name: str, time_name: str) -> pd.DataFrame:
        """Distinct (invoice, code) pairs of known customers, with the invoice's earliest line time."""
        known = lines.dropna(subset=["CustomerID"])
        at = known.groupby("InvoiceNo")["InvoiceDate"].transform("min")
        pairs = known.assign(InvoiceDate=at).drop_duplicates(["InvoiceNo", "StockCode"])
        return pairs[["InvoiceNo", *keys, "InvoiceDate"]].rename(
            columns={"InvoiceNo": id_name, "InvoiceDate": time_name}
        )

    returned = by_code(cancels, "return_id", "returned_at")
    bought = by_code(sales, "order_id", "ordered_at")
    pairs = returned.merge(bought, on=keys)
    pairs = pairs[pairs["ordered_at"] <= pairs["returned_at"]]
    if pairs.empty:
        return pd.Series(dtype="object", name="order_id")
    scored = (
        pairs.groupby(["return_id", "order_id"], sort=False)
        .agg(codes=("StockCode", "size"), ordered_at=("ordered_at", "first"))
        .reset_index()
    )
    best = scored.sort_values(
        ["return_id", "codes", "ordered_at", "order_id"], ascending=[True, False, False, False]
    ).drop_duplicates("return_id")
    return best.set_index("return_id")["order_id"]


def _unmatched_reason(customer: str | None, codes: list[str]) -> str:
    if customer is None:
        return "no CustomerID on the C invoice: a guest cancellation cannot be linked to an order"
    shown = ", ".join(codes[:SHOWN_CODES]) + (", ..." if len(codes) > SHOWN_CODES else "")
    return (
        f"no invoice of customer {customer} at or before this C invoice contains a returned StockCode "
        f"({shown}): the original order is outside the data"
    )


def build_online_retail(raw: pd.DataFrame) -> tuple[list[EntityFrame], dict[str, int]]:
    """Map raw invoice lines to entity frames (in ingest order) and importer counts; pure, no database."""
    df = _prepare(raw)
    sale_lines = df[df["kind"] == "sale"].copy()
    cancel_lines = df[df["kind"] == "cancel"].copy()
    sale_lines["customer_id"] = sale_lines["CustomerID"].where(
        sale_lines["CustomerID"].notna(), GUEST_PREFIX + sale_lines["InvoiceNo"]
    )
    cancel_lines["customer_id"] = cancel_lines["CustomerID"]

    orders_inv = _invoices(sale_lines)
    orders = pd.DataFrame(
        {
            "order_id": orders_inv["InvoiceNo"],
            "customer_id": orders_inv["customer_id"],
            "ordered_at": local_iso(orders_inv["at"], ZONE),
            "sku": orders_inv["sku"],
            "product_name": orders_inv["product_name"],
            "region": orders_inv["region"],
            "quantity": orders_inv["quantity"].astype("int64"),
            "amount": orders_inv["amount"],
        }
    )
    items = pd.DataFrame(
        {
            "item_id": sale_lines["InvoiceNo"] + ":",
            "order_id": sale_lines["InvoiceNo"],
            "line_no": sale_lines.groupby("InvoiceNo", sort=False).cumcount() + 1,
            "sku": sale_lines["StockCode"],
            "product_name": sale_lines["Description"],
            "quantity": sale_lines["Quantity"],
            "unit_price": sale_lines["UnitPrice"],
            "amount": sale_lines["line_amount"].round(4),
        }
    )
    items["item_id"] = items["item_id"] + items["line_no"].astype(str)

    # Customers: every CustomerID seen on a sale or a C invoice, region = country of their latest invoice.
    known = pd.concat([sale_lines, cancel_lines]).dropna(subset=["CustomerID"])
    latest = known.sort_values(["InvoiceDate", "_line"]).drop_duplicates("CustomerID", keep="last")
    guests = orders_inv[orders_inv["customer_id"].str.startswith(GUEST_PREFIX)]
    customers = pd.DataFrame(
        {
            "customer_id": pd.concat([latest["CustomerID"], guests["customer_id"]], ignore_index=True),
            "region": pd.concat([latest["Country"], guests["region"]], ignore_index=True),
        }
    )

    returns_inv = _invoices(cancel_lines)
    matched = match_returns(sale_lines, cancel_lines)
    returns_inv["order_id"] = returns_inv["InvoiceNo"].map(matched)
    only_charges = cancel_lines.groupby("InvoiceNo", sort=False)["StockCode"].agg(
        lambda codes: all(c in NON_GOODS for c in codes)
    )
    returns_all = pd.DataFrame(
        {
            "return_id": returns_inv["InvoiceNo"],
            "order_id": returns_inv["order_id"].astype("object").where(returns_inv["order_id"].notna(), None),
            "requested_at": local_iso(returns_inv["at"], ZONE),
            "customer_id": returns_inv["customer_id"].astype("object").where(returns_inv["customer_id"].notna(), None),
            "type": returns_inv["InvoiceNo"].map(only_charges).map({True: "refund_only", False: "return"}),
            "status": "refunded",
            "refund_amount": returns_inv["amount"],
            "sku": returns_inv["sku"],
            "region": returns_inv["region"],
        }
    )
    ok = returns_all["order_id"].notna().to_numpy()
    codes_by_return = cancel_lines.groupby("InvoiceNo", sort=False)["StockCode"].agg(lambda s: list(dict.fromkeys(s)))
    bad = returns_all[~ok].reset_index(drop=True)
    reasons = [
        _unmatched_reason(cust, codes_by_return[rid])
        for rid, cust in zip(bad["return_id"], bad["customer_id"], strict=True)
    ]
    return_rejects = make_rejects(bad, returns_inv.loc[~ok, "line"].tolist(), "order_id", reasons)

    ritems_all = pd.DataFrame(
        {
            "item_id": cancel_lines["InvoiceNo"] + ":",
            "return_id": cancel_lines["InvoiceNo"],
            "line_no": cancel_lines.groupby("InvoiceNo", sort=False).cumcount() + 1,
            "sku": cancel_lines["StockCode"],
            "product_name": cancel_lines["Description"],
            "quantity": cancel_lines["Quantity"].abs(),
            "amount": cancel_lines["line_amount"].round(4),
        }
    )
    ritems_all["item_id"] = ritems_all["item_id"] + ritems_all["line_no"].astype(str)
    item_ok = ritems_all["return_id"].isin(set(returns_all.loc[ok, "return_id"])).to_numpy()
    bad_items = ritems_all[~item_ok].reset_index(drop=True)
    item_rejects = make_rejects(
        bad_items,
        cancel_lines.loc[~item_ok, "_line"].tolist(),
        "return_id",
        [f"return {rid} was rejected (not linked to an order)" for rid in bad_items["return_id"]],
    )

    kinds = df["kind"].value_counts()
    notes = {
        "source_lines": len(df),
        "sale_lines": int(kinds.get("sale", 0)),
        "cancel_lines": int(kinds.get("cancel", 0)),
        "skipped_stock_adjustment_lines": int(kinds.get("adjustment", 0)),
        "skipped_bad_debt_lines": int(kinds.get("bad_debt", 0)),
        "guest_orders": len(guests),
        "c_invoices": len(returns_all),
        "c_invoices_linked": int(ok.sum()),
        "c_invoices_without_customer": int(returns_all["customer_id"].isna().sum()),
        "c_invoices_without_matching_order": int((~ok & returns_all["customer_id"].notna().to_numpy()).sum()),
    }
    frames = [
        EntityFrame("customers", customers),
        EntityFrame("orders", orders),
        EntityFrame("order_items", items.reset_index(drop=True)),
        EntityFrame("returns", returns_all[ok].reset_index(drop=True), return_rejects),
        EntityFrame("return_items", ritems_all[item_ok].reset_index(drop=True), item_rejects),
    ]
    return frames, notes


def import_online_retail(
    path: str | Path, *, settings: Settings | None = None, on_step: StepFn | None = None
) -> ImportReport:
    """Import the UCI Online Retail CSV into the store: one summary per entity plus importer counts."""
    source = Path(path)
    return run_import(
        IMPORTER,
        str(source),
        lambda: build_online_retail(read_online_retail(source)),
        settings=settings,
        on_step=on_step,
    )
