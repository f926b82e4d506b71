"""Jinja2 pages: the environment, per-request context (language, user, CSRF token) and display filters."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from aftersales import __version__
from aftersales.config import Settings
from aftersales.web import i18n
from aftersales.web.auth import current_user
from aftersales.web.csrf import session_token

PARTIAL_HEADER = "x-partial"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """One Jinja environment for the process (templates are compiled once)."""
    env = Environment(
        loader=PackageLoader("aftersales.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        highlight=highlight,
        spark=sparkline,
        tojson_attr=lambda v: json.dumps(v, ensure_ascii=False),
    )
    from aftersales.web.routes.static import plotly_version

    env.globals.update(version=__version__, qs=query_string, plotly_version=plotly_version())
    return env


def language(request: Request, settings: Settings) -> str:
    """The session's language, else the configured default locale."""
    return i18n.normalise_lang(request.session.get("lang") or settings.locale)


def is_partial(request: Request) -> bool:
    """Whether the page's script asked for a fragment instead of a whole page."""
    return request.headers.get(PARTIAL_HEADER) == "1"


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page (or fragment) with the helpers every template uses."""
    settings: Settings = request.app.state.settings
    lang = language(request, settings)
    zone = settings.zone

    def t(key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    def local(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if not value:
            return "—"
        stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(stamp, dt.datetime):
            return str(value)
        aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
        return aware.astimezone(zone).strftime(fmt)

    def duration(minutes: Any) -> str:
        if minutes is None:
            return "—"
        m = abs(round(float(minutes)))
        days, rest = divmod(m, 1440)
        hours, mins = divmod(rest, 60)
        if days:
            return t("time.dh", d=days, h=hours)
        if hours:
            return t("time.hm", h=hours, m=mins)
        return t("time.m", m=mins)

    def label(kind: str, code: Any) -> str:
        return i18n.vocab_label(lang, kind, code)

    user = current_user(request)
    ctx = {
        "request": request,
        "lang": lang,
        "other_lang": "en" if lang == "zh-CN" else "zh-CN",
        "t": t,
        "L": label,
        "local": local,
        "duration": duration,
        "bi": lambda text: i18n.bilingual(lang, text),
        "user": user,
        "csrf_token": session_token(request.session),
        "path": request.url.path,
        "full_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    }
    html = environment().get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code)


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """`?a=1&b=2` from params with some changed or removed (None drops a key)."""
    merged = {**params, **changes}
    clean = {k: v for k, v in merged.items() if v not in (None, "", False)}
    return "?" + urlencode(clean, doseq=True) if clean else ""


def highlight(text: str | None, evidence: dict[str, Any] | None) -> Markup:
    """The message with its evidence words marked (`<mark>`), each titled with what it is evidence for."""
    text = text or ""
    spans: list[tuple[int, int, str]] = []
    for task, items in (evidence or {}).items():
        for item in items or []:
            word = str(item.get("text") or "")
            if not word:
                continue
            start, end = item.get("start"), item.get("end")
            if not (isinstance(start, int) and isinstance(end, int) and text[start:end] == word):
                start = text.find(word)  # offsets refer to the normalised text; fall back to the first occurrence
                if start < 0:
                    continue
                end = start + len(word)
            spans.append((start, end, task))
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end, _task in spans:
        if start < pos:
            continue  # overlapping evidence: the first span wins
        out.append(str(escape(text[pos:start])))
        tasks = sorted({s[2] for s in spans if s[0] == start and s[1] == end})
        out.append(f'<mark title="{escape(", ".join(tasks))}">{escape(text[start:end])}</mark>')
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def sparkline(points: list[dict[str, Any]], width: int = 120, height: int = 28) -> Markup:
    """A tiny inline SVG line of monthly values (missing months leave a gap); decorative, the card states the value."""
    values = [p.get("value") for p in points]
    known = [float(v) for v in values if v is not None]
    if len(known) < 2:
        return Markup("")
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    step = width / max(len(values) - 1, 1)
    segments: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            segments.append([])
            continue
        y = height - 2 - (float(v) - lo) / span * (height - 4)
        segments[-1].append(f"{i * step:.1f},{y:.1f}")
    lines = "".join(
        f'<polyline points="{" ".join(s)}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        for s in segments
        if len(s) > 1
    )
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" aria-hidden="true" '
        f'focusable="false">{lines}</svg>'
    )
