"""Filter values a question may name (华东, 服装, 天猫, VIP, 质量问题 ...), built from what the store actually holds.

Pure: `services.ask` reads the distinct values per dimension from the database and hands them to
`build_vocabulary`, which adds the zh/en display names of the contract vocabulary and common aliases.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aftersales.analytics.ask.metric import VALUE_ALIASES
from aftersales.vocab import Channel, Labelled, Reason, Region, Tier

LABELLED: dict[str, type[Labelled]] = {"region": Region, "channel": Channel, "reason": Reason, "tier": Tier}
DIM_PRIORITY = ("tier", "region", "category", "sku", "channel", "reason", "queue")
"""Which dimension wins when one alias names values of two (bare "vip" is the tier, "VIP专席" the queue)."""


def normalise(text: str) -> str:
    """NFKC (full-width → ASCII), lower case, single spaces: the form questions and aliases are matched in."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@dataclass(frozen=True)
class DimValue:
    """One value of a dimension: the stored code, display names and the words that name it in a question."""

    dim: str
    code: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        """Display name for "zh" or "en"."""
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class Vocabulary:
    """The filter values per dimension, and an alias index (normalised alias → value)."""

    values: dict[str, tuple[DimValue, ...]] = field(default_factory=dict)

    def aliases(self) -> dict[str, DimValue]:
        """Every alias → its value; on a clash the dimension earlier in DIM_PRIORITY keeps the alias."""
        index: dict[str, DimValue] = {}
        for dim in sorted(self.values, key=lambda d: DIM_PRIORITY.index(d) if d in DIM_PRIORITY else 99):
            for value in self.values[dim]:
                for alias in value.aliases:
                    index.setdefault(alias, value)
        return index

    def get(self, dim: str, code: str) -> DimValue | None:
        """The value with this code, if known."""
        return next((v for v in self.values.get(dim, ()) if v.code == code), None)

    def label(self, dim: str, code: object, language: str) -> str:
        """Display name of a stored value (the code itself when unknown, 未知/unknown for NULL)."""
        if code is None:
            return "未知" if language == "zh" else "unknown"
        value = self.get(dim, str(code))
        return value.label(language) if value else str(code)


def _aliases(*words: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for word in words:
        norm = normalise(word)
        if norm and norm not in ("none", "null"):
            seen.setdefault(norm, None)
            seen.setdefault(norm.replace("_", " "), None)
    return tuple(seen)


def _value(dim: str, code: str, products: Mapping[str, str], queues: Mapping[str, tuple[str, str]]) -> DimValue:
    """Display names and aliases for one stored value."""
    extra = VALUE_ALIASES.get(dim, {}).get(code, ())
    zh = en = code
    words: list[str] = [code]
    enum = LABELLED.get(dim)
    if enum is not None and code in enum.codes():
        member = enum(code)
        zh, en = member.zh, member.en
        words += [zh, en, *zh.split("/")]
    elif dim == "queue" and code in queues:
        zh, en = queues[code]
        words += [zh, en, f"{en} queue", f"{code} queue"]
    elif dim == "sku" and code in products:
        name = products[code]
        zh = en = f"{code} {name}"
        short = name.split(" ", 1)[-1]
        words += [name] + ([short] if len(short) >= 4 else [])
    elif extra:
        en = extra[0] if extra[0].isascii() else code
    if dim == "queue" and code in Tier.codes():
        words.remove(code)  # a bare "vip" means the tier; the queue is "VIP专席" / "vip queue"
    return DimValue(dim, code, zh, en, _aliases(*words, *extra))


def build_vocabulary(
    distinct: Mapping[str, Iterable[str | None]],
    products: Mapping[str, str] | None = None,
    queues: Mapping[str, tuple[str, str]] | None = None,
) -> Vocabulary:
    """The vocabulary from distinct stored values per dimension, product names per SKU and queue display names."""
    products = products or {}
    queues = queues or {}
    values: dict[str, tuple[DimValue, ...]] = {}
    for dim, codes in distinct.items():
        unique = sorted({c for c in codes if c is not None and str(c).strip() and c != "none"})
        values[dim] = tuple(_value(dim, str(code), products, queues) for code in unique)
    return Vocabulary(values)
