"""Settings: the triage policy (rules in force, validate a candidate, what-if simulation), KPI targets, and users
with their API keys. Policy and KPI pages are for managers and admins (as `/api/v1/policy`); users for admins only.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from aftersales.analytics.kpis import KPIS
from aftersales.api.errors import status_for
from aftersales.config import Settings
from aftersales.errors import AftersalesError, InvalidInputError
from aftersales.services import policy as policy_svc
from aftersales.services import users as users_svc
from aftersales.services.kpi import targets_for
from aftersales.services.runtime import get_runtime
from aftersales.web.csrf import protect
from aftersales.web.deps import WebAdmin, WebManager, WebSettings
from aftersales.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(protect)])
MAX_YAML = 200_000  # characters; the shipped policy is ~12,000
LINE = re.compile(r"^[^:\n]*:(\d+)(?::\d+)?: ")
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/settings")
def settings_home() -> Response:
    """Settings start with the policy."""
    return RedirectResponse("/settings/policy", status_code=303)


def numbered(text: str, errors: list[str]) -> list[dict[str, Any]]:
    """The candidate YAML line by line, each with its number and the errors that name it."""
    by_line: dict[int, list[str]] = {}
    for error in errors:
        match = LINE.match(error)
        if match:
            by_line.setdefault(int(match.group(1)), []).append(error[match.end() :])
    return [{"n": i, "text": line, "errors": by_line.get(i, [])} for i, line in enumerate(text.splitlines(), 1)]


def compact(effects: dict[str, Any]) -> dict[str, Any]:
    """A rule's `then` as written: without the unset (null or empty) effects the model fills in."""
    return {k: v for k, v in effects.items() if v not in (None, [], {})}


def _policy_context(settings: Settings, **extra: Any) -> dict[str, Any]:
    policy = policy_svc.active_policy(settings)
    return {
        "policy": policy,
        "compact": compact,
        "queues": {q["code"]: q for q in policy.get("queues", [])},
        "yaml": "",
        "validation": None,
        "lines": [],
        "simulation": None,
        "sim": {"since": "", "handle_minutes": policy_svc.DEFAULT_HANDLE_MINUTES, "agents_default": 1},
        **extra,
    }


@router.get("/settings/policy")
def policy_page(request: Request, settings: WebSettings, user: WebManager) -> Response:
    """The rules in force (in order, with what each tests and does), SLAs, queues, and the candidate forms."""
    return render(request, "settings/policy.html", _policy_context(settings))


async def _candidate(yaml: str, file: UploadFile | None) -> str:
    """The candidate policy: an uploaded file wins over the pasted text."""
    if file is not None and file.filename:
        raw = await file.read(MAX_YAML * 4 + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInputError("the policy file must be UTF-8 text") from None
    else:
        text = yaml
    if not text.strip():
        raise InvalidInputError("paste the policy YAML or choose a file")
    if len(text) > MAX_YAML:
        raise InvalidInputError(f"the policy is longer than {MAX_YAML} characters")
    return text


@router.post("/settings/policy/validate")
async def validate(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    yaml: Annotated[str, Form(max_length=MAX_YAML)] = "",
    file: UploadFile | None = None,
) -> Response:
    """Check a candidate (never activates it): every error with its line, shown next to that line."""
    text = await _candidate(yaml, file)
    report = policy_svc.validate_text(text)
    context = _policy_context(settings, yaml=text, validation=report, lines=numbered(text, report["errors"]))
    return render(request, "settings/policy.html", context)  # a report with errors is still a successful check


@router.post("/settings/policy/simulate")
async def simulate(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    yaml: Annotated[str, Form(max_length=MAX_YAML)] = "",
    file: UploadFile | None = None,
    since: Annotated[str, Form(max_length=10)] = "",
    handle_minutes: Annotated[float, Form(gt=0, le=1440)] = policy_svc.DEFAULT_HANDLE_MINUTES,
    agents_default: Annotated[int, Form(ge=0, le=1000)] = 1,
) -> Response:
    """Replay the stored cases under the candidate beside the current policy: priorities, queues, SLA breaches."""
    text = await _candidate(yaml, file)
    report = policy_svc.validate_text(text)
    sim = {"since": since, "handle_minutes": handle_minutes, "agents_default": agents_default}
    context = _policy_context(settings, yaml=text, validation=report, lines=numbered(text, report["errors"]), sim=sim)
    if not report["ok"]:
        return render(request, "settings/policy.html", context)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "candidate.yaml"
        path.write_text(text, encoding="utf-8")
        context["simulation"] = policy_svc.simulate(
            path, since or None, settings, handle_minutes=handle_minutes, agents_default=agents_default
        )
    return render(request, "settings/policy.html", context)


@router.get("/settings/kpis")
def kpi_targets(request: Request, settings: WebSettings, user: WebManager) -> Response:
    """Each KPI's registry default, the configured override (setting `kpi_targets`) and the target in force."""
    example = "[kpi_targets]\nreturn_rate = 0.04\nfirst_response_minutes_p90 = 45"  # config.toml, not UI text
    context = {"kpis": KPIS, "configured": settings.kpi_targets, "effective": targets_for(settings), "example": example}
    return render(request, "settings/kpis.html", context)


def _users_context(settings: Settings, **extra: Any) -> dict[str, Any]:
    rt = get_runtime(settings)
    return {
        "users": users_svc.list_users(settings),
        "roles": users_svc.ROLES,
        "queue_codes": [q.code for q in rt.policy.queues],
        "queue_names": {q.code: (q.zh, q.en) for q in rt.policy.queues},
        "new_key": None,
        "form": {"role": "agent", "queues": []},
        "error": None,
        "notice": None,
        **extra,
    }


@router.get("/settings/users")
def users_page(
    request: Request, settings: WebSettings, user: WebAdmin, revoked: int | None = None, who: str = ""
) -> Response:
    """Users with role, queues and state; the create form; revoke a user's API keys or issue a new one."""
    notice = {"revoked": revoked, "who": who} if revoked is not None else None
    return render(request, "settings/users.html", _users_context(settings, notice=notice))


@router.post("/settings/users")
async def create_user(request: Request, settings: WebSettings, user: WebAdmin) -> Response:
    """Create a user; the API key is shown once on the answer (never stored in clear, never cached)."""
    form = await request.form()
    fields = {k: str(form.get(k) or "").strip() for k in ("username", "role", "display_name")}
    queues = [str(q) for q in form.getlist("queues")]
    password = str(form.get("password") or "")
    try:
        if password and len(password) < 8:
            raise InvalidInputError("password: at least 8 characters")
        created = users_svc.create_user(
            fields["username"], fields["role"], queues, fields["display_name"] or None, password or None, settings
        )
    except AftersalesError as exc:
        context = _users_context(settings, form={**fields, "queues": queues}, error=f"{exc.code}: {exc.message}")
        return render(request, "settings/users.html", context, status_code=status_for(exc.code))
    request.app.state.web_principals.clear()
    key = {"user": created["user"], "api_key": created["api_key"]}
    response = render(request, "settings/users.html", _users_context(settings, new_key=key), status_code=201)
    response.headers.update(NO_STORE)
    return response


@router.post("/settings/users/{username}/revoke")
def revoke(username: str, settings: WebSettings, user: WebAdmin) -> Response:
    """Revoke every active API key of the user (their password login is unaffected)."""
    count = users_svc.revoke_keys(username, settings)
    return RedirectResponse("/settings/users?" + urlencode({"revoked": count, "who": username}), status_code=303)


@router.post("/settings/users/{username}/key")
def new_key(request: Request, username: str, settings: WebSettings, user: WebAdmin) -> Response:
    """Issue one more API key for the user, shown once."""
    key = users_svc.issue_key(username, "web", settings)
    context = _users_context(settings, new_key={"user": username, "api_key": key})
    response = render(request, "settings/users.html", context)
    response.headers.update(NO_STORE)
    return response
