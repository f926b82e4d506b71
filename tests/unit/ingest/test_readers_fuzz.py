"""Property tests: no input file can crash the readers or the validator; it ends as rows, rejects or a clear error."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.errors import AftersalesError
from aftersales.ingest.aliases import resolve_columns
from aftersales.ingest.readers import TableReader
from aftersales.ingest.schema import SPECS
from aftersales.ingest.validate import validate_chunk

ZONE = ZoneInfo("Asia/Shanghai")
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def consume(path: Path, entity: str = "orders") -> int:
    """Read and validate everything; returns rows seen (good + rejected)."""
    reader = TableReader(path)
    spec = SPECS[entity]
    seen = 0
    mapping: dict[int, str] | None = None
    for chunk in reader.chunks(7):
        if mapping is None:  # as the service does: headers are known once the first chunk is read
            by_name, _ = resolve_columns(reader.headers, spec)
            mapping = {i: by_name[h] for i, h in enumerate(reader.headers) if h in by_name}
        out = validate_chunk(chunk, mapping, spec, ZONE)
        seen += len(out.frame) + len(out.rejects)
        for rej in out.rejects:
            assert rej.row >= 2 and rej.reasons and all(rej.reasons)
    return seen


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".csv", ".jsonl", ".tsv", ".xlsx", ".parquet"]))
def test_random_bytes_never_crash(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"f{suffix}"
        path.write_bytes(data)
        try:
            consume(path)
        except AftersalesError as exc:
            assert exc.message  # a clear, non-empty explanation


cell = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["2025-01-02", "O1", "C1", "¥12", "nan", " "]))
# Mostly valid headers (so rows get validated), sometimes one required column short (a clear mapping error).
header = st.tuples(
    st.lists(st.sampled_from(["amount", "quantity", "x", "金额", "region"]), max_size=3, unique=True),
    st.booleans(),
).flatmap(lambda t: st.permutations(["order_id", "customer_id", "ordered_at"][: 3 if t[1] else 2] + t[0]))


@FUZZ
@given(
    head=header,
    rows=st.lists(st.lists(cell, min_size=0, max_size=7), max_size=15),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "latin-1"]),
)
def test_random_tables_in_random_encodings_end_as_rows_or_rejects(
    head: list[str], rows: list[list[str | None]], encoding: str
) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)  # \r\n terminator: cells holding \r or \n get quoted
    writer.writerow(head)
    writer.writerows(rows)
    data = buf.getvalue().encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_bytes(data)
        try:
            seen = consume(path)
        except AftersalesError as exc:
            assert exc.message
            return
        # every non-blank record is accounted for, as a good row or a reject
        non_blank = sum(1 for r in rows if len(r) > 1 or (r and (r[0] or "").strip()))
        assert non_blank - sum(1 for r in rows if len(r) == 1) <= seen <= len(rows)
