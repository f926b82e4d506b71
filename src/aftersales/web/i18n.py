"""Translation catalogues (zh-CN default, en) for every string the web app shows; vocabulary names come from vocab."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from aftersales import vocab

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"

# Vocabulary kinds the templates may label with `L(kind, code)`: display names live in vocab.py, not in the catalogue.
VOCAB: dict[str, type[vocab.Labelled]] = {
    "emotion": vocab.Emotion,
    "polarity": vocab.Polarity,
    "stage": vocab.Stage,
    "reason": vocab.Reason,
    "priority": vocab.Priority,
    "problem_type": vocab.ProblemType,
    "status": vocab.CaseStatus,
    "channel": vocab.Channel,
    "tier": vocab.Tier,
    "intensity": vocab.Intensity,
    "author": vocab.Author,
    "return_type": vocab.ReturnType,
}


@lru_cache(maxsize=len(LANGS))
def catalogue(lang: str) -> dict[str, str]:
    """The flat key → text mapping of one language, read once from the packaged JSON file."""
    if lang not in LANGS:
        raise KeyError(f"unknown language {lang!r}; known: {', '.join(LANGS)}")
    text = resources.files("aftersales.web").joinpath("i18n", f"{lang}.json").read_text(encoding="utf-8")
    data: dict[str, str] = json.loads(text)
    return data


def normalise_lang(value: str | None) -> str:
    """A supported language for any input (`en-US` → en, `zh` → zh-CN); unknown → the default."""
    if not value:
        return DEFAULT_LANG
    low = value.lower()
    if low.startswith("zh"):
        return "zh-CN"
    if low.startswith("en"):
        return "en"
    return DEFAULT_LANG


def translate(lang: str, key: str, **values: Any) -> str:
    """The text of `key` in `lang`, with `{name}` placeholders filled; a missing key shows the key (tests forbid it)."""
    text = catalogue(normalise_lang(lang)).get(key)
    if text is None:
        return key
    return text.format(**values) if values else text


def vocab_label(lang: str, kind: str, code: Any) -> str:
    """Display name of a vocabulary code (emotion, reason …) in `lang`; unknown codes show as they are."""
    if code is None:
        return "—"
    if kind == "reason" and code == "none":  # cases and messages whose analysis found no reason
        return translate(lang, "label.no_reason")
    enum = VOCAB.get(kind)
    try:
        return enum(str(code)).label(lang) if enum is not None else str(code)
    except ValueError:
        return str(code)


def bilingual(lang: str, text: str | None) -> str:
    """Pick one side of a policy's "中文 / English" description."""
    if not text:
        return ""
    zh, sep, en = text.partition(" / ")
    if not sep:
        return text
    return zh if lang == "zh-CN" else en
