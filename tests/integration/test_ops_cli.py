"""The operations CLI end to end on a real database: users and API keys, policy checks and what-ifs, the case queue,
SLA checks, the churn model, and `aftersales serve` as a real server process."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from aftersales import services
from aftersales.cli.main import app
from aftersales.config import Settings, load_settings
from aftersales.errors import AuthenticationError
from aftersales.policy.loader import default_policy_path, load_policy
from aftersales.services.pipeline import submit_interaction
from aftersales.services.runtime import reset_runtimes
from aftersales.services.triage import PRIORITY_RANK
from aftersales.services.users import _KEY_CACHE, authenticate_key, create_user
from aftersales.storage import db
from aftersales.storage.tables import api_keys, case_events, cases, decisions, interactions, notifications
from tests.factories import write_csv

runner = CliRunner()
DEFAULT_POLICY = default_policy_path()


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Runtimes and the key cache are per process; CliRunner runs every command in this one."""
    reset_runtimes()
    _KEY_CACHE.clear()
    yield
    reset_runtimes()
    _KEY_CACHE.clear()


def cli(*args: str, home: Path | None = None) -> Result:
    """Run `aftersales ARGS [--home HOME]` in-process."""
    return runner.invoke(app, [*args, *(["--home", str(home)] if home else [])])


def json_out(result: Result) -> Any:
    """The single JSON document a `--json` command printed on stdout."""
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def submit(settings: Settings, text: str, customer: str, order: str | None, at: str, **extra: Any) -> dict[str, Any]:
    payload = {"customer_id": customer, "order_id": order, "text": text, "created_at": at, "channel": "chat"}
    return submit_interaction(payload | extra, settings)


# --- users and API keys -----------------------------------------------------------------------------------------


def test_users_create_prints_the_key_once_and_stores_only_its_hash(settings: Settings) -> None:
    created = json_out(cli("users", "create", "ann", "--role", "agent", "--queue", "logistics", "--json",
                           home=settings.home))  # fmt: skip
    assert set(created) == {"user", "role", "api_key"}
    assert (created["user"], created["role"]) == ("ann", "agent")
    key = created["api_key"]
    engine = db.get_engine(settings)
    principal = authenticate_key(key, engine)
    assert (principal.username, principal.role, principal.queues) == ("ann", "agent", ("logistics",))
    with engine.connect() as conn:
        (row,) = conn.execute(select(api_keys)).mappings().all()
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert all(key not in str(value) for value in row.values()), "the clear key must not be stored anywhere"

    listed = json_out(cli("users", "list", "--json", home=settings.home))
    assert [(u["username"], u["role"], u["queues"], u["active"]) for u in listed] == [
        ("ann", "agent", ["logistics"], True)
    ]
    assert "as_" not in json.dumps(listed) and "hash" not in json.dumps(listed)
    human = cli("users", "list", home=settings.home)
    assert human.exit_code == 0 and "ann" in human.stdout and "logistics" in human.stdout

    revoked = cli("users", "revoke-keys", "ann", home=settings.home)
    assert revoked.exit_code == 0 and "revoked 1 key" in revoked.stdout
    _KEY_CACHE.clear()  # a verified key is cached for 30 s
    with pytest.raises(AuthenticationError, match="revoked"):
        authenticate_key(key, engine)


def test_human_users_create_shows_the_key(settings: Settings) -> None:
    result = cli("users", "create", "mia", "--role", "manager", home=settings.home)
    assert result.exit_code == 0, result.output
    assert "created manager" in result.stdout and "as_" in result.stdout and "shown once" in result.stdout


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["ann", "--role", "agent", "--queue", "vip"], ["E409", "already exists"]),  # duplicate name
        (["bob", "--role", "agent"], ["E400", "--queue"]),  # an agent works some queue
        (["bob", "--role", "boss"], ["E400", "role 'boss'"]),
        (["张 三", "--role", "manager"], ["E400", "username"]),
    ],
)
def test_bad_user_creation_is_an_input_error(settings: Settings, args: list[str], needles: list[str]) -> None:
    assert cli("users", "create", "ann", "--role", "agent", "--queue", "logistics", home=settings.home).exit_code == 0
    result = cli("users", "create", *args, "--json", home=settings.home)
    assert result.exit_code == 2, result.output
    assert all(n in result.output for n in needles), result.output
    assert result.stdout.strip() == "", "errors never print a JSON document"


def test_revoking_an_unknown_user_is_an_error(settings: Settings) -> None:
    result = cli("users", "revoke-keys", "nobody", home=settings.home)
    assert result.exit_code == 2 and "E404" in result.output


# --- policy: validate, show -------------------------------------------------------------------------------------


def test_the_shipped_policy_validates() -> None:
    result = cli("policy", "validate", str(DEFAULT_POLICY))
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout and "default" in result.stdout
    report = json_out(cli("policy", "validate", str(DEFAULT_POLICY), "--json"))
    assert report["ok"] is True and report["errors"] == []
    assert [r["id"] for r in report["rules"]] == [r.id for r in load_policy().rules]


def _edited_policy(tmp_path: Path, old: str, new: str, name: str = "candidate.yaml") -> Path:
    """A copy of the shipped policy with one exact text edit."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the default policy no longer contains {old!r} exactly once"
    path = tmp_path / name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "needles"),
    [
        ("      emotion: anxiety\n", "      emotion: anxious\n",
         ['rule "anxiety_reassure"', "when.emotion", '"anxious"']),
        ("  - id: service_problem\n", "  - id: technical_problem\n", ['rule "technical_problem"', "id: duplicate"]),
        ("sla: {first_response: 10m}", "sla: {first_response: soon}",
         ['rule "formal_complaint"', "then.sla.first_response", '"soon"']),
        ("P2: {first_response: 30m", "P2: {first_response: 30x", ["sla.P2.first_response", '"30x"']),
    ],
)  # fmt: skip
def test_a_broken_policy_names_the_rule_and_the_field(tmp_path: Path, old: str, new: str, needles: list[str]) -> None:
    path = _edited_policy(tmp_path, old, new, "broken.yaml")
    result = cli("policy", "validate", str(path))
    assert result.exit_code == 2
    assert "broken.yaml:" in result.output  # with the line number
    assert all(n in result.output for n in needles), result.output
    report = json.loads(cli("policy", "validate", str(path), "--json").stdout)
    assert report["ok"] is False and any(needles[0] in e for e in report["errors"])


def test_policy_show(settings: Settings) -> None:
    data = json_out(cli("policy", "show", "--json", home=settings.home))
    assert data["version"] == load_policy().version
    assert [r["id"] for r in data["rules"]] == [r.id for r in load_policy().rules]
    assert data["sla"]["P1"] == {"first_response": "15m", "resolution": "4h"}
    table = cli("policy", "show", home=settings.home)
    assert table.exit_code == 0 and "complaint_intent" in table.stdout


# --- policy simulate ----------------------------------------------------------------------------------------------

# (customer, order, text, local time, extra): technical, service, logistics and complaint cases in both languages.
TRIAGE_SET: list[tuple[str, str | None, str, str, dict[str, str]]] = [
    ("C01", "O01", "吹风机用两天就坏了，太失望了", "2025-06-02 10:00", {}),
    ("C02", "O02", "耳机有点杂音", "2025-06-02 10:30", {}),
    ("C03", "O03", "I'm contacting you because the blender is still broken", "2025-06-02 11:00", {}),
    ("C04", "O04", "快递三天了还没到，急用", "2025-06-02 11:30", {}),
    ("C05", "O05", "The parcel is late, where is it?", "2025-06-02 12:00", {}),
    ("C06", "O06", "客服态度太差了，问了三遍都不回答", "2025-06-02 12:30", {}),
    ("C07", "O07", "再不处理我就去12315投诉！", "2025-06-02 13:00", {}),
    ("C08", "O08", "衣服尺码偏小，想换大一号", "2025-06-02 13:30", {}),
    ("C09", "O09", "You sent me the wrong item, I ordered the blue one.", "2025-06-02 14:00", {}),
    ("C10", "O10", "扫地机器人用了一周就不转了", "2025-06-02 14:30", {"tier": "vip"}),
    ("C11", None, "谢谢，东西很好用！", "2025-06-02 15:00", {}),
    ("C02", "O02", "还没处理吗？", "2025-06-03 10:00", {}),
]


@pytest.fixture
def triaged(settings: Settings) -> Settings:
    """A database whose cases were opened and triaged by the online pipeline."""
    for customer, order, text, at, extra in TRIAGE_SET:
        submit(settings, text, customer, order, at, **extra)
    return settings


def _first_decisions(settings: Settings) -> dict[str, dict[str, Any]]:
    """Each case's first decision (what `policy simulate` replays)."""
    with db.get_engine(settings).connect() as conn:
        rows = conn.execute(select(decisions).order_by(decisions.c.id)).mappings().all()
    first: dict[str, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row["case_id"], dict(row))
    return first


def test_policy_simulate_compares_a_candidate_with_the_current_policy(
    triaged: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Technical problems straight to P1 instead of P2.
    candidate = _edited_policy(tmp_path, "      priority: P2\n      queue: tech_support\n",
                               "      priority: P1\n      queue: tech_support\n")  # fmt: skip
    report = json_out(cli("policy", "simulate", str(candidate), "--json", home=triaged.home))
    first = _first_decisions(triaged)
    assert report["cases"] == len(first) >= 8
    assert set(report["priorities"]) == {"P1", "P2", "P3", "P4"}
    for side in ("current", "new"):
        assert sum(p[side] for p in report["priorities"].values()) == len(first)
        assert sum(q[side] for q in report["queues"].values()) == len(first)
    assert all(p["delta"] == p["new"] - p["current"] for p in report["priorities"].values())
    # The current side is exactly what was decided when the cases were opened.
    for code, counts in report["priorities"].items():
        assert counts["current"] == sum(d["priority"] == code for d in first.values())
    assert {"current", "new", "delta"} <= set(report["sla_breaches"]["total"])
    # The changed cases are the technical ones that were P2 (a VIP's technical case was P1 already).
    expected = {
        cid for cid, d in first.items() if d["context"]["problem_type"] == "technical" and d["priority"] == "P2"
    }
    assert expected, "the data set must contain technical P2 cases"
    assert {c["case_key"] for c in report["changes"]} == expected
    for change in report["changes"]:
        assert change["priority"] == {"current": "P2", "new": "P1"}
        assert change["rule_new"] == "technical_problem"
    assert report["priorities"]["P1"]["delta"] == len(expected)

    monkeypatch.setenv("COLUMNS", "200")  # rich tables wrap cells to the terminal width
    human = cli("policy", "simulate", str(candidate), home=triaged.home)
    assert human.exit_code == 0, human.output
    for needle in ("priority", "current", "new", "P1", "tech_support", "P2 → P1", "technical_problem"):
        assert needle in human.stdout, needle


@pytest.mark.parametrize(
    ("since", "needle"),
    [((dt.date.today() + dt.timedelta(days=365)).isoformat(), "no stored decisions"), ("last-week", "--since")],
)
def test_policy_simulate_without_decisions_to_replay_is_a_clear_error(
    triaged: Settings, since: str, needle: str
) -> None:
    result = cli("policy", "simulate", str(DEFAULT_POLICY), "--since", since, home=triaged.home)
    assert result.exit_code == 2 and needle in result.output, result.output


def test_policy_simulate_refuses_an_invalid_candidate(triaged: Settings, tmp_path: Path) -> None:
    broken = _edited_policy(tmp_path, "      emotion: anxiety\n", "      emotion: anxious\n")
    result = cli("policy", "simulate", str(broken), home=triaged.home)
    assert result.exit_code == 2 and "E300" in result.output and "anxious" in result.output


# --- cases process / list -------------------------------------------------------------------------------------


def _ingest_history(settings: Settings, tmp_path: Path) -> None:
    """Customers and interactions from CSV files, as an export from a shop system would arrive."""
    write_csv(tmp_path / "customers.csv", ["customer_id", "name", "tier"],
              [["K1", "张三", "vip"], ["K2", "Ann Lee", "regular"], ["K3", "李四", "regular"]])  # fmt: skip
    rows = [
        ["m1", "K1", "O1", "吹风机用两天就坏了，太失望了", "2025-06-02 10:00", "chat"],
        ["m2", "K1", "O1", "还没人处理吗？", "2025-06-02 15:00", "chat"],
        ["m3", "K2", "O2", "The parcel is late, where is it?", "2025-06-03 11:00", "email"],
        ["m4", "K2", "", "Thanks, all good now!", "2025-06-01 11:00", "email"],
        ["m5", "K3", "O3", "再不处理我就去12315投诉！", "2025-06-03 12:00", "phone"],
        ["m6", "K3", "O4", "衣服尺码偏小，想换大一号", "2025-06-03 12:30", "chat"],
    ]
    write_csv(tmp_path / "interactions.csv", ["interaction_id", "customer_id", "order_id", "text", "created_at",
                                              "channel"], rows)  # fmt: skip
    assert services.ingest_file("customers", tmp_path / "customers.csv", settings=settings).accepted == 3
    assert services.ingest_file("interactions", tmp_path / "interactions.csv", settings=settings).accepted == 6


def test_cases_process_opens_cases_once_and_list_sorts_p1_first(settings: Settings, tmp_path: Path) -> None:
    _ingest_history(settings, tmp_path)
    first = json_out(cli("cases", "process", "--json", home=settings.home))
    assert first["messages"] == 6 and first["analysed"] == 6
    assert first["cases_opened"] == 4  # K1/O1 (two messages), K2/O2, K3/O3, K3/O4; the thank-you note opens none
    assert first["triaged"] == 5
    again = json_out(cli("cases", "process", "--json", home=settings.home))
    assert (again["cases_opened"], again["triaged"], again["analysed"]) == (0, 0, 0)
    with db.get_engine(settings).connect() as conn:
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 4
        assert conn.execute(select(func.count()).select_from(decisions)).scalar_one() == 5
        by_message = dict(conn.execute(select(interactions.c.interaction_id, interactions.c.case_id)).all())
    assert by_message["m4"] is None, "the thank-you note stays without a case"
    assert by_message["m1"] == by_message["m2"] and len({by_message[m] for m in ("m1", "m3", "m5", "m6")}) == 4

    listed = json_out(cli("cases", "list", "--json", home=settings.home))
    assert set(listed) == {"data", "count"} and listed["count"] == len(listed["data"]) == 4
    ranks = [PRIORITY_RANK[c["priority"]] for c in listed["data"]]
    assert ranks == sorted(ranks) and listed["data"][0]["priority"] == "P1"
    threat = next(c for c in listed["data"] if c["customer_id"] == "K3" and c["order_id"] == "O3")
    assert (threat["priority"], threat["queue"]) == ("P1", "complaints")
    assert all({"case_id", "status", "queue", "sla", "customer_name"} <= set(c) for c in listed["data"])
    only = json_out(cli("cases", "list", "--queue", "complaints", "--json", home=settings.home))
    assert [c["case_id"] for c in only["data"]] == [threat["case_id"]]
    table = cli("cases", "list", home=settings.home)
    assert table.exit_code == 0 and "4 cases" in table.stdout


# --- cases check-sla ----------------------------------------------------------------------------------------------


def test_check_sla_stamps_each_breach_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A team robot is configured, so every breach also queues one notification (not delivered here).
    hooks = {"leads": {"kind": "wecom", "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=K"}}
    monkeypatch.setenv("AFTERSALES_WEBHOOKS", json.dumps(hooks))
    settings = load_settings(home=tmp_path / "home")
    late = submit(settings, "再不处理我就去12315投诉！", "C1", "O1", "2025-06-02 10:00")["case"]
    future = submit(settings, "耳机有点杂音", "C2", "O2", (dt.datetime.now() + dt.timedelta(days=30)).isoformat())
    assert late["first_response_due"] < dt.datetime.now(dt.UTC).replace(tzinfo=None)
    engine = db.get_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(notifications)).scalar_one() == 1  # case_escalated

    report = json_out(cli("cases", "check-sla", "--json", home=settings.home))
    assert report["breached"] == {"first_response": 1, "resolution": 1}
    with engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.case_id == late["case_id"])).mappings().one()
        events = conn.execute(
            select(case_events.c.payload).where(case_events.c.kind == "sla_breach").order_by(case_events.c.id)
        ).scalars().all()  # fmt: skip
        alerts = conn.execute(select(notifications.c.payload)).scalars().all()
        untouched = conn.execute(select(cases).where(cases.c.case_id == future["case"]["case_id"])).mappings().one()
    assert row["first_response_breached_at"] is not None and row["resolution_breached_at"] is not None
    assert [e["clock"] for e in events] == ["first_response", "resolution"]
    assert events[0]["due"] == late["first_response_due"].isoformat() and events[0]["minutes_over"] > 0
    assert sorted(a["event"] for a in alerts) == ["escalation_alert", "sla_breach", "sla_breach"]
    assert untouched["first_response_breached_at"] is None and untouched["resolution_breached_at"] is None

    again = json_out(cli("cases", "check-sla", "--json", home=settings.home))
    assert again["breached"] == {"first_response": 0, "resolution": 0}
    with engine.connect() as conn:
        stamped = conn.execute(select(cases).where(cases.c.case_id == late["case_id"])).mappings().one()
        assert conn.execute(
            select(func.count()).select_from(case_events).where(case_events.c.kind == "sla_breach")
        ).scalar_one() == 2  # fmt: skip
        assert conn.execute(select(func.count()).select_from(notifications)).scalar_one() == 3
    assert stamped["first_response_breached_at"] == row["first_response_breached_at"]


# --- churn ------------------------------------------------------------------------------------------------------


def test_churn_train_on_thin_history_keeps_the_rules(settings: Settings) -> None:
    submit(settings, "耳机有点杂音", "C1", "O1", "2025-06-02 10:00")
    result = json_out(cli("churn", "train", "--json", home=settings.home))
    assert result["method"] == "rules" and result["saved"] is None and "too little history" in result["note"]
    assert not (settings.home / "models" / "churn.json").exists()


@pytest.mark.slow
def test_churn_train_on_the_demo_history(settings: Settings) -> None:
    from aftersales.demo import build_demo

    build_demo(settings, n_customers=400, months=8, end=dt.date(2025, 6, 30))
    result = json_out(cli("churn", "train", "--json", home=settings.home))
    assert result["examples"] > 0 and result["source"] != "none"
    assert result["method"] in ("model", "rules")
    if result["method"] == "model":
        assert Path(result["saved"]).is_file() and result["metrics"]


# --- serve ------------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_the_api(settings: Settings) -> None:
    key = create_user("ada", "admin", settings=settings)["api_key"]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aftersales", "serve", "--home", str(settings.home), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "server exited"
            try:
                if httpx2.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not answer /healthz within 30 s"
            time.sleep(0.2)
        me = httpx2.get(f"{base}/api/v1/me", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert me.status_code == 200 and (me.json()["username"], me.json()["role"]) == ("ada", "admin")
        anonymous = httpx2.get(f"{base}/api/v1/me", timeout=10)
        assert anonymous.status_code == 401
        error = anonymous.json()["error"]
        assert set(error) >= {"code", "message"} and error["code"] == "E401_unauthenticated"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
