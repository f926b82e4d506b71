"""Row validation for one chunk, vectorised with pandas: parse types, check codes, and explain every reject."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa

from aftersales.ingest.readers import RawChunk
from aftersales.ingest.schema import SURVEY_SCORE_RANGE, ColumnSpec, EntitySpec, Kind

NULL_TOKENS = {"", "null", "none", "nan", "n/a", "\\n", "#n/a"}
ROW = "_row"
_UNDECODABLE = "[\udc00-\udcff]"
_AWARE = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})$")
_MONEY = r"(?i)[\s,¥￥$€£元]|rmb|cny|usd"
STRING = "string[pyarrow]"
MIN_YEAR, MAX_YEAR = 1970, 2100
# 2025/1/2, 2025.1.2, 2025年1月2日 → 2025-01-02 (only the date part: a '.' in seconds must stay).
_DATE_PART = re.compile(r"^(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?\s*(?:T\s*)?")


def _date_iso(match: re.Match[str]) -> str:
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d} "


@dataclass
class Reject:
    """One rejected source row: where, which columns, why, and the raw cells to fix and re-ingest."""

    row: int
    columns: list[str]
    reasons: list[str]
    raw: list[str | None]


@dataclass
class ValidatedChunk:
    """Typed canonical rows that passed, the rejects, and within-chunk duplicate counts."""

    frame: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    duplicates_identical: int = 0
    duplicates_changed: int = 0


def _as_strings(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Arrow-backed strings (vectorised string kernels) plus a mask of cells holding undecodable bytes."""
    try:
        return series.astype(STRING), pd.Series(False, index=series.index)
    except (UnicodeEncodeError, pa.ArrowException):
        bad = series.map(lambda v: isinstance(v, str) and re.search(_UNDECODABLE, v) is not None).astype(bool)
        return series.where(~bad, None).astype(STRING), bad


def _clean(series: pd.Series) -> pd.Series:
    """Strip whitespace and turn empty or null-like tokens into missing values."""
    stripped = series.str.strip()
    return stripped.where(~stripped.str.lower().isin(NULL_TOKENS), None)


def _parse_datetime(s: pd.Series, zone: str) -> pd.Series:
    """Parse timestamps to naive UTC: naive input is in `zone`, aware input keeps its offset."""
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    present = s.notna()
    if not present.any():
        return out
    text = s[present]
    aware = text.str.contains(_AWARE.pattern, regex=True).astype(bool)
    if (~aware).any():
        naive = pd.to_datetime(text[~aware], format="ISO8601", errors="coerce")
        retry = naive.isna()
        if retry.any():  # slow path only for the unusual spellings: 2025/1/2, 2025年1月2日, 2025.1.2 …
            odd = text[~aware][retry].astype(object).str.replace(_DATE_PART, _date_iso, regex=True).str.strip()
            naive[retry] = pd.to_datetime(odd, format="mixed", errors="coerce")
        local = naive.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
        out[local.index] = local.dt.tz_convert("UTC").dt.tz_localize(None)
    if aware.any():
        parsed = pd.to_datetime(text[aware].astype(object), format="ISO8601", errors="coerce", utc=True)
        out[parsed.index] = parsed.dt.tz_localize(None)
    return out


def _parse_column(spec: ColumnSpec, s: pd.Series, zone: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse one column; returns (values, bad mask, reason per bad row)."""
    present = s.notna()
    reasons = pd.Series("", index=s.index, dtype="object")
    if spec.kind in (Kind.ID, Kind.TEXT):
        values = s
        bad = pd.Series(False, index=s.index)
        if spec.max_length:
            too_long = present & (s.str.len() > spec.max_length)
            bad |= too_long
            reasons[too_long] = f"longer than {spec.max_length} characters"
        return values, bad, reasons
    if spec.kind in (Kind.INT, Kind.FLOAT):
        cleaned = s.str.replace(_MONEY, "", regex=True) if spec.kind == Kind.FLOAT else s.str.replace(",", "")
        nums = pd.to_numeric(cleaned.astype(object), errors="coerce").astype("float64")
        bad = present & nums.isna()
        label = "an integer" if spec.kind == Kind.INT else "a number"
        reasons[bad] = "not " + label + ": " + s[bad].astype(str).str.slice(0, 40).map(repr)
        if spec.kind == Kind.INT:
            fractional = present & nums.notna() & (np.floor(nums) != nums)
            bad |= fractional
            reasons[fractional] = "not an integer: " + s[fractional].astype(str).map(repr)
            values = nums.where(~bad).astype("Int64")
        else:
            infinite = present & np.isinf(nums.fillna(0))
            bad |= infinite
            reasons[infinite] = "not a finite number"
            values = nums.where(~bad).astype("float64")
        for limit, cmp, word in (
            (spec.min_value, np.less, "below the minimum"),
            (spec.max_value, np.greater, "above the maximum"),
        ):
            if limit is not None:
                out = present & ~bad & cmp(values.astype("float64").fillna(limit), limit)
                bad |= out
                reasons[out] = f"{word} {limit:g}"
        return values, bad, reasons
    if spec.kind == Kind.DATETIME:
        values = _parse_datetime(s, zone)
        bad = present & values.isna()
        reasons[bad] = "not a timestamp: " + s[bad].astype(str).str.slice(0, 40).map(repr)
        years = values.dt.year
        out = present & ~bad & ((years < MIN_YEAR) | (years > MAX_YEAR))
        bad |= out
        reasons[out] = f"timestamp outside {MIN_YEAR}–{MAX_YEAR}"
        return values, bad, reasons
    # ENUM
    key = s.str.lower().str.strip().astype(object).where(present, None)
    lookup = {v: spec.synonyms.get(v, v if v in spec.codes else None) for v in key.dropna().unique()}
    mapped = key.map(lookup).astype(object).where(present, None)
    bad = present & mapped.isna()
    expected = ", ".join(spec.codes)
    reasons[bad] = "unknown code " + s[bad].astype(str).str.slice(0, 40).map(repr) + f"; expected one of: {expected}"
    return mapped, bad, reasons


def validate_chunk(chunk: RawChunk, mapping: dict[int, str], spec: EntitySpec, zone: ZoneInfo) -> ValidatedChunk:
    """Validate a raw chunk: mapping is source column index → canonical column name."""
    rejects = [
        Reject(row, [col], [reason], chunk.raw_rejects.get(row, []))  # type: ignore[arg-type]
        for row, col, reason in chunk.structural_rejects
    ]
    if not chunk.rows:
        frame = pd.DataFrame({ROW: pd.Series([], dtype="int64")})
        return ValidatedChunk(frame, rejects)
    raw = pd.DataFrame(chunk.rows, dtype="object")
    indices = [i for i in mapping if i < raw.shape[1]]
    data: dict[str, pd.Series] = {}
    undecodable_by_col: dict[str, pd.Series] = {}
    for i in indices:
        strings, undecodable_by_col[mapping[i]] = _as_strings(raw[i])
        data[mapping[i]] = _clean(strings)
    zone_name = zone.key
    n = len(raw)
    bad_any = np.zeros(n, dtype=bool)
    problems: list[tuple[str, pd.Series, pd.Series]] = []
    typed: dict[str, pd.Series] = {}
    for name, s in data.items():
        spec_col = spec.column(name)
        undecodable = undecodable_by_col[name]
        values, bad, reasons = _parse_column(spec_col, s, zone_name)
        reasons = reasons.where(~undecodable, "undecodable bytes (wrong --encoding?)")
        bad = bad | undecodable
        if spec_col.required:
            missing = s.isna() & ~undecodable
            bad = bad | missing
            reasons = reasons.where(~missing, "required value missing")
        typed[name] = values
        if bad.any():
            problems.append((name, bad, reasons))
            bad_any |= bad.to_numpy()
    if spec.name == "surveys" and "kind" in typed and "score" in typed:
        kinds, scores = typed["kind"], typed["score"].astype("float64")
        bad = pd.Series(False, index=raw.index)
        for kind, (lo, hi) in SURVEY_SCORE_RANGE.items():
            bad |= (kinds == kind) & ((scores < lo) | (scores > hi))
        if bad.any():
            reasons = pd.Series("", index=raw.index, dtype="object")
            reasons[bad] = "score out of range for " + kinds[bad].astype(str) + " (csat 1–5, nps 0–10)"
            problems.append(("score", bad, reasons))
            bad_any |= bad.to_numpy()
    row_numbers = np.asarray(chunk.row_numbers, dtype="int64")
    if bad_any.any():
        for pos in np.flatnonzero(bad_any):
            cols = [name for name, bad, _ in problems if bad.iat[pos]]
            why = [reasons.iat[pos] for name, bad, reasons in problems if bad.iat[pos]]
            rejects.append(Reject(int(row_numbers[pos]), cols, why, chunk.rows[pos]))
    frame = pd.DataFrame(typed)
    frame[ROW] = row_numbers
    frame = frame[~bad_any].reset_index(drop=True)
    key_dup = frame.duplicated(subset=[spec.key], keep="last")
    identical = 0
    changed = 0
    if key_dup.any():
        full_dup = frame.duplicated(subset=[c for c in frame.columns if c != ROW], keep="last")
        identical = int((key_dup & full_dup).sum())
        changed = int(key_dup.sum()) - identical
        frame = frame[~key_dup].reset_index(drop=True)
    rejects.sort(key=lambda r: r.row)
    return ValidatedChunk(frame, rejects, identical, changed)
