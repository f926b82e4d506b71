"""The catalogues match key for key, templates hold no hard-coded UI text, and the display helpers escape."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path

import pytest

from aftersales.web import i18n
from aftersales.web.templating import highlight, sparkline

WEB = Path(__file__).resolve().parents[3] / "src" / "aftersales" / "web"
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))
LITERAL_KEY = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]""")
PREFIX_KEY = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+\.)['"]\s*~""")
PY_KEY = re.compile(r"""translate\(\s*lang,\s*f?["']([a-z0-9_.]+)""")


def test_catalogues_have_identical_keys_and_placeholders() -> None:
    zh, en = i18n.catalogue("zh-CN"), i18n.catalogue("en")
    assert set(zh) == set(en)
    fields = string.Formatter()
    for key in zh:
        assert zh[key].strip() and en[key].strip(), key
        names = [{f for _, f, _, _ in fields.parse(text) if f} for text in (zh[key], en[key])]
        assert names[0] == names[1], key


def test_every_key_used_exists() -> None:
    keys = set(i18n.catalogue("zh-CN"))
    sources = [p.read_text(encoding="utf-8") for p in TEMPLATES]
    sources += [p.read_text(encoding="utf-8") for p in WEB.rglob("*.py")]
    used = {k for src in sources for k in LITERAL_KEY.findall(src) + PY_KEY.findall(src) if not k.endswith(".")}
    assert used, "no t() calls found"
    assert not used - keys, f"keys missing from the catalogue: {sorted(used - keys)}"
    prefixes = {p for src in sources for p in PREFIX_KEY.findall(src)}
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in keys), prefix


def _text_nodes(source: str) -> str:
    """What a template shows that does not come from an expression: text between tags, outside Jinja."""
    source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    source = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}", "", source, flags=re.S)
    source = re.sub(r"\{\{.*?\}\}", "", source, flags=re.S)
    return re.sub(r"<[^>]*>", " ", source)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_hard_coded_text(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    letters = [c for c in _text_nodes(source) if unicodedata.category(c).startswith("L")]
    assert not letters, f"{path.name}: text outside t(): {''.join(letters)[:80]!r}"
    for attr, value in re.findall(r"""\b(title|aria-label|placeholder|alt|label)="([^"]*)\"""", source):
        bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", value)
        assert not any(unicodedata.category(c).startswith("L") for c in bare), f"{path.name}: {attr}={value!r}"


def test_scripts_carry_no_ui_text() -> None:
    for path in (WEB / "static").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"[\u4e00-\u9fff]", text), path.name
        assert 'textContent = "' not in text and 'innerHTML = "' not in text, path.name


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "zh-CN"), ("zh", "zh-CN"), ("zh-TW", "zh-CN"), ("en-US", "en"), ("en", "en"), ("fr", "zh-CN")],
)
def test_normalise_lang(value: str | None, expected: str) -> None:
    assert i18n.normalise_lang(value) == expected


def test_translate_and_vocabulary() -> None:
    assert i18n.translate("en", "drill.cases", n=3) == "Cases (3)"
    assert i18n.translate("zh-CN", "drill.cases", n=3) == "工单（3）"
    assert i18n.translate("en", "no.such.key") == "no.such.key"
    assert i18n.vocab_label("zh-CN", "emotion", "anger") == "愤怒"
    assert i18n.vocab_label("en", "reason", "size_fit") == "size / fit"
    assert i18n.vocab_label("en", "reason", "unknown_code") == "unknown_code"
    assert i18n.vocab_label("en", "queue", "vip") == "vip"
    assert i18n.bilingual("en", "服务问题 / Service problem") == "Service problem"
    assert i18n.bilingual("zh-CN", "服务问题 / Service problem") == "服务问题"


def test_highlight_marks_evidence_and_escapes() -> None:
    text = "<b>发错货了</b>，真的很不满"
    evidence = {
        "reason:wrong_item": [{"text": "发错", "start": 3, "end": 5}],
        "emotion": [{"text": "不满", "start": 0, "end": 2}],  # stale offsets: found by text instead
    }
    html = str(highlight(text, evidence))
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert '<mark title="reason:wrong_item">发错</mark>' in html
    assert '<mark title="emotion">不满</mark>' in html


def test_sparkline_skips_gaps() -> None:
    svg = str(sparkline([{"value": 1.0}, {"value": None}, {"value": 2.0}, {"value": 3.0}]))
    assert svg.count("<polyline") == 1 and 'aria-hidden="true"' in svg
    assert str(sparkline([{"value": 1.0}])) == ""
