"""Policy YAML validation: every error names its line, rule id and field; durations, calendar config, hashing."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pytest

from aftersales.errors import PolicyError
from aftersales.policy.conditions import FIELDS
from aftersales.policy.context import TriageContext
from aftersales.policy.loader import (
    PolicyValidationError,
    load_policy,
    policy_from_text,
    validate_policy_file,
)
from aftersales.policy.schema import Policy


def errors_of(text: str) -> list[str]:
    """Validation error lines of a policy text (fails the test when it is valid)."""
    with pytest.raises(PolicyValidationError) as info:
        policy_from_text(textwrap.dedent(text), source="p.yaml")
    return info.value.errors


def rule_yaml(when: str = "{tier: vip}", then: str = "{raise_priority: 1}", extra: str = "") -> str:
    """A one-rule policy named vip_bump with the given when/then."""
    return f"rules:\n  - id: vip_bump\n    when: {when}\n    then: {then}\n{extra}"


def test_fields_cover_the_triage_context() -> None:
    """Conditions can test every context field (bar evidence) plus the decision's priority and queue."""
    context_fields = set(TriageContext.model_fields) - {"evidence"}
    assert set(FIELDS) == context_fields | {"priority", "queue"}


def test_the_shipped_default_loads() -> None:
    policy = load_policy()
    assert policy.version and policy.rules
    assert policy.policy_version == policy.version


# ------------------------------------------------------------------------------------------------ rule errors


@pytest.mark.parametrize(
    ("when", "then", "expected"),
    [
        (
            "{emotion: angry}",
            "{priority: P1}",
            'rule "vip_bump": when.emotion: unknown emotion "angry" (expected one of anger, dissatisfaction,',
        ),
        ("{emotoin: anger}", "{priority: P1}", 'rule "vip_bump": when.emotoin: unknown field "emotoin" (did you mean'),
        ("{stage: {gtee: explicit}}", "{priority: P1}", 'rule "vip_bump": when.stage.gtee: unknown operator "gtee"'),
        ("{emotion: {gte: anger}}", "{priority: P1}", 'when.emotion.gte: operator "gte" does not apply to emotion'),
        ("{reasons: {gte: price}}", "{priority: P1}", 'when.reasons.gte: operator "gte" does not apply to reasons'),
        (
            "{intensity: high}",
            "{priority: P1}",
            'rule "vip_bump": when.intensity: intensity needs an integer, got "high"',
        ),
        ("{intensity: {gte: 4}}", "{priority: P1}", "when.intensity.gte: 4 is out of range for intensity (1..3)"),
        ("{churn_risk: {gt: 1.5}}", "{priority: P1}", "when.churn_risk.gt: 1.5 is out of range for churn_risk"),
        ("{repeat_contacts: {gte: -1}}", "{priority: P1}", "when.repeat_contacts.gte: -1 is out of range"),
        ("{repeat_contacts: 2.5}", "{priority: P1}", "when.repeat_contacts: repeat_contacts needs an integer, got 2.5"),
        ("{reasons: []}", "{priority: P1}", "when.reasons: an empty list never matches; write {eq: []}"),
        ("{reasons: {contains: []}}", "{priority: P1}", "when.reasons.contains: expected at least one value"),
        ("{reasons: [quality, price]}", "{priority: P1}", 'when.reasons: unknown reason "quality"'),
        ("{stage: {gte: complaint}}", "{priority: P1}", 'when.stage.gte: unknown stage "complaint"'),
        ("{priority: {gte: P0}}", "{priority: P1}", 'when.priority.gte: unknown priority "P0"'),
        ("{tier: [vip, gold]}", "{priority: P1}", 'when.tier: unknown tier "gold"'),
        ("{channel: wechat}", "{priority: P1}", 'when.channel: unknown channel "wechat"'),
        ("{churn_level: severe}", "{priority: P1}", 'when.churn_level: unknown churn level "severe"'),
        ("{language: fr}", "{priority: P1}", 'when.language: unknown language "fr"'),
        ("{problem_type: hardware}", "{priority: P1}", 'when.problem_type: unknown problem type "hardware"'),
        ("{channel_escalation: yes please}", "{priority: P1}", "when.channel_escalation: expected true or false"),
        ("{emotion: 3}", "{priority: P1}", "when.emotion: expected a emotion code, got 3"),
        ("{emotion: {}}", "{priority: P1}", "when.emotion: expected at least one operator"),
        ("{any: {emotion: anger}}", "{priority: P1}", "when.any: expected a non-empty list of condition mappings"),
        ("{any: [emotion]}", "{priority: P1}", 'when.any[0]: expected a mapping of conditions, got "emotion"'),
        (
            "{any: [{emotion: anger}, {stage: {gte: bad}}]}",
            "{priority: P1}",
            'rule "vip_bump": when.any[1].stage.gte: unknown stage "bad"',
        ),
        ("{not: {tier: gold}}", "{priority: P1}", 'when.not.tier: unknown tier "gold"'),
        (
            "{queue: vipp}",
            "{priority: P1}",
            'rule "vip_bump": when.queue: unknown queue "vipp" (declared: tech_support',
        ),
        ("{tier: vip}", "{priority: P5}", 'rule "vip_bump": then.priority: unknown priority "P5" (expected one of P1'),
        ("{tier: vip}", "{raise_priority: 5}", 'rule "vip_bump": then.raise_priority: Input should be less than'),
        ("{tier: vip}", "{raise_priority: true}", 'rule "vip_bump": then.raise_priority:'),
        ("{tier: vip}", "{raise_priority: 1, lower_priority: 1}", "then: use raise_priority or lower_priority"),
        ("{tier: vip}", "{queue: vipp}", 'rule "vip_bump": then.queue: unknown queue "vipp"'),
        ("{tier: vip}", "{strategy: [hug]}", 'rule "vip_bump": then.strategy: unknown strategy "hug"'),
        (
            "{tier: vip}",
            "{reply_template: sorry}",
            'rule "vip_bump": then.reply_template: unknown reply template "sorry"',
        ),
        ("{tier: vip}", "{notify: [sms]}", 'rule "vip_bump": then.notify: unknown event "sms"'),
        (
            "{tier: vip}",
            "{sla: {first_response: soon}}",
            'rule "vip_bump": then.sla.first_response: expected a duration',
        ),
        ("{tier: vip}", "{sla: {}}", 'rule "vip_bump": then.sla: set first_response and/or resolution'),
        ("{tier: vip}", "{quue: vip}", 'rule "vip_bump": then.quue: unknown key (allowed: priority, raise_priority,'),
        ("{tier: vip}", "{}", 'rule "vip_bump": then: the rule sets nothing'),
        ("{tier: vip}", "{auto_reply: maybe}", 'rule "vip_bump": then.auto_reply:'),
    ],
)
def test_rule_errors_name_the_rule_and_the_field(when: str, then: str, expected: str) -> None:
    lines = errors_of(rule_yaml(when, then))
    assert any(expected in line for line in lines), lines


def test_rule_level_keys_and_ids() -> None:
    assert any(
        'rule "vip_bump": stpo: unknown key (allowed: id, description' in e
        for e in errors_of(rule_yaml(extra="    stpo: true\n"))
    )
    assert any(
        'rule "vip_bump": stop: Input should be a valid boolean' in e
        for e in errors_of(rule_yaml(extra="    stop: yes please\n"))
    )
    bad_id = errors_of("rules:\n  - id: Vip-Bump\n    then: {raise_priority: 1}\n")
    assert any('rule "Vip-Bump": id: "Vip-Bump" must be snake_case' in e for e in bad_id)
    no_id = errors_of("rules:\n  - then: {raise_priority: 1}\n")
    assert any("rules[0]: id: required" in e for e in no_id)
    yaml_bool = errors_of("rules:\n  - id: off\n    then: {raise_priority: 1}\n")
    assert any("rules[0]: id: expected text, got False (YAML reads yes/no/on/off as booleans" in e for e in yaml_bool)
    dupe = errors_of("rules:\n  - {id: a, then: {raise_priority: 1}}\n  - {id: a, then: {raise_priority: 1}}\n")
    assert any('rule "a": id: duplicate (rules[0] and rules[1])' in e for e in dupe)


def test_errors_in_when_and_then_are_reported_together() -> None:
    lines = errors_of(rule_yaml("{emotion: angry}", "{raise_priority: 9}"))
    assert any("when.emotion" in e for e in lines) and any("then.raise_priority" in e for e in lines)


def test_errors_carry_the_yaml_line() -> None:
    text = """\
        version: "1"
        rules:
          - id: fine
            then: {queue: vip}
          - id: vip_bump
            when:
              tier: vip
              emotion: angry
            then:
              queue: vipp
        """
    (line,) = errors_of(text)
    assert line.startswith('p.yaml:8: rule "vip_bump": when.emotion: unknown emotion "angry"')
    text = text.replace("emotion: angry", "emotion: anger")
    (line,) = errors_of(text)
    assert line.startswith('p.yaml:10: rule "vip_bump": then.queue: unknown queue "vipp"')


# ------------------------------------------------------------------------------------------------ section errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("business_hours: {timezone: Asia/Beijing}", 'business_hours.timezone: unknown IANA timezone "Asia/Beijing"'),
        ("business_hours: {weekdays: [mon, fun]}", 'business_hours.weekdays: unknown weekday "fun"'),
        ("business_hours: {weekdays: [mon, mon]}", "business_hours.weekdays: expected a non-empty list of distinct"),
        ("business_hours: {end: 21:00}", 'business_hours.end: write times in quotes, e.g. "21:00"'),
        ("business_hours: {start: '9am'}", 'business_hours.start: expected a time "HH:MM", got "9am"'),
        ("business_hours: {start: '21:00', end: '09:00'}", "business_hours: end (09:00) must be after start (21:00)"),
        (
            "business_hours: {holidays: [2026-10-01], workdays: [2026-10-01]}",
            "both as holiday and as workday: 2026-10-01",
        ),
        ("business_hours: {holidays: [someday]}", "business_hours.holidays[0]: Input should be a valid date"),
        ("business_hours: {opening: '09:00'}", "business_hours.opening: unknown key (allowed: timezone, weekdays,"),
        (
            "sla: {P1: {first_response: 5h, resolution: 1h}}",
            "sla.P1: first_response (300 min) is longer than resolution",
        ),
        ("sla: {P1: {first_response: 1h, resolution: 1d}}", "sla.P1.first_response (60 min) is longer than sla.P2"),
        (
            "sla: {P2: {first_response: 30 minutes, resolution: 1d}}",
            'sla.P2.first_response: expected a duration like "30m"',
        ),
        ("sla: {P2: {first_response: 0m, resolution: 1d}}", "sla.P2.first_response: a duration must be positive"),
        ("sla: {P2: {first_response: [1], resolution: 1d}}", "sla.P2.first_response: expected "),
        ("sla: {P2: {first_response: 30m}}", "sla.P2.resolution: required"),
        ("sla: {P5: {first_response: 30m, resolution: 1d}}", "sla.P5: unknown key (allowed: P1, P2, P3, P4)"),
        ("compensation: {limits: {gold: 10}}", 'compensation.limits: unknown tier "gold"'),
        (
            "compensation: {limits: {vip: {default: -1}}}",
            "compensation.limits.vip.default: Input should be greater than",
        ),
        ("compensation: {limits: {vip: {P5: 3}}}", "compensation.limits.vip.P5: unknown key (allowed: default, P1,"),
        ("compensation: {limits: {vip: [1]}}", "compensation.limits.vip: expected a mapping or a number, got [1]"),
        ("defaults: {queue: nowhere}", 'defaults.queue: unknown queue "nowhere"'),
        ("defaults: {priority: urgent}", 'defaults.priority: unknown priority "urgent"'),
        ("defaults: {strategy: [hug]}", 'defaults.strategy: unknown strategy "hug"'),
        ("defaults: {reply_template: nope}", 'defaults.reply_template: unknown reply template "nope"'),
        ("version: 2026.1", "version: write the version as a quoted string (YAML read it as the number 2026.1)"),
        ("queues: [{code: a, zh: 甲, en: A}, {code: a, zh: 乙, en: B}]", "queues: declared more than once: a"),
        ("queues: [{code: Tech, zh: 技术, en: Tech}]", 'queues[0].code: "Tech" must be snake_case'),
        ("reply_templates: [Apology]", 'reply_templates: "Apology" must be snake_case'),
        ("rulez: []", "rulez: unknown key (allowed: version, name, description, business_hours,"),
    ],
)
def test_section_errors_name_the_field(text: str, expected: str) -> None:
    lines = errors_of(text + "\n")
    assert any(expected in line for line in lines), lines


def test_declaring_your_own_queue_makes_it_usable() -> None:
    policy = policy_from_text(
        "queues: [{code: general, zh: 综合, en: General}, {code: recall, zh: 召回, en: Recall}]\n"
        + rule_yaml("{reasons: [quality_defect]}", "{queue: recall}")
    )
    assert [q.code for q in policy.queues] == ["general", "recall"]


# ------------------------------------------------------------------------------------------------ YAML level


def test_yaml_syntax_errors_have_line_and_column() -> None:
    with pytest.raises(PolicyError, match=r"^p\.yaml:4:1: YAML error: .*\(while parsing a flow mapping at line 3\)"):
        policy_from_text("rules:\n  - id: a\n    when: {tier: vip\n", source="p.yaml")


def test_duplicate_keys_are_errors() -> None:
    with pytest.raises(PolicyError, match=r'p\.yaml:4:5: YAML error: duplicate key "when" \(first at line 3\)'):
        policy_from_text("rules:\n  - id: a\n    when: {tier: vip}\n    when: {tier: regular}\n", source="p.yaml")


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(PolicyError, match="expected a mapping at the top level, got list"):
        policy_from_text("- a\n- b\n")


def test_an_empty_file_is_the_built_in_defaults() -> None:
    policy = policy_from_text("")
    assert policy.rules == [] and policy.defaults.priority == "P4"


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read policy file"):
        load_policy(tmp_path / "nope.yaml")


# ------------------------------------------------------------------------------------------------ values


@pytest.mark.parametrize(
    ("duration", "minutes"),
    [("30m", 30), ("90 min", 90), ("4h", 240), ("1.5h", 90), ("2d", 2 * 720), ("0.5d", 360), (45, 45)],
)
def test_durations_in_business_minutes(duration: str | int, minutes: int) -> None:
    policy = Policy()  # business hours 09:00–21:00: one business day is 720 minutes
    assert policy.minutes(duration) == minutes


def test_a_business_day_follows_business_hours() -> None:
    policy = policy_from_text("business_hours: {start: '09:00', end: '18:00'}\n")
    assert policy.minutes("1d") == 540
    assert policy.sla_minutes("P2") == (30, 540)


def test_calendar_config_is_plain() -> None:
    policy = policy_from_text(
        "business_hours:\n  weekdays: [mon, tue, wed, thu, fri]\n  start: '08:30'\n  end: '17:30'\n"
        "  holidays: [2026-10-01]\n  workdays: [2026-09-27]\n  cn_public_holidays: true\n"
    )
    assert policy.business_hours.to_calendar_config() == {
        "timezone": "Asia/Shanghai",
        "weekdays": [0, 1, 2, 3, 4],
        "start": "08:30",
        "end": "17:30",
        "holidays": [date(2026, 10, 1)],
        "workdays": [date(2026, 9, 27)],
        "cn_public_holidays": True,
    }


def test_version_fallback_is_a_stable_content_hash() -> None:
    body = "name: trial\nrules:\n  - id: a  # comment\n    when: {tier: vip}\n    then: {raise_priority: 1}\n"
    reordered = "rules:\n  - then: {raise_priority: 1}\n    when: {tier: vip}\n    id: a\nname: trial\n"
    one, two = policy_from_text(body), policy_from_text(reordered)
    assert one.policy_version == two.policy_version
    assert one.policy_version.startswith("trial+") and len(one.policy_version) == len("trial+") + 12
    changed = policy_from_text(body.replace("raise_priority: 1", "raise_priority: 2"))
    assert changed.policy_version != one.policy_version
    assert policy_from_text('version: "7"\n' + body).policy_version == "7"


def test_descriptions_may_be_bilingual() -> None:
    policy = policy_from_text(rule_yaml(extra="    description: {zh: 贵宾升级, en: VIP bump}\n"))
    assert str(policy.rules[0].description) == "贵宾升级 / VIP bump"


# ------------------------------------------------------------------------------------------------ validate report


def test_validate_report_for_the_default() -> None:
    report = validate_policy_file(None)
    assert report.ok and not report.errors and not report.warnings
    by_id = {r["id"]: r for r in report.rules}
    assert by_id["anger_strong"]["when"] == "emotion = anger and intensity ≥ 3"
    assert "queue → emotion_care" in by_id["anger_strong"]["then"]
    json.dumps(report.to_dict(), ensure_ascii=False)


def test_validate_report_lists_errors_without_raising(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(rule_yaml("{emotion: angry}"), encoding="utf-8")
    report = validate_policy_file(path)
    assert not report.ok and report.rules == []
    assert report.errors[0].startswith(f'{path}:3: rule "vip_bump": when.emotion: unknown emotion "angry"')
    path.write_text("rules: [", encoding="utf-8")
    assert "YAML error" in validate_policy_file(path).errors[0]


def test_validate_warns_about_rules_that_cannot_matter(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "rules:\n"
        "  - {id: floor_low, when: {tier: vip}, then: {priority: P4}}\n"
        "  - {id: off_rule, enabled: false, then: {priority: P1}}\n"
        "  - {id: halt, stop: true}\n"
        "  - {id: after, then: {priority: P1}}\n",
        encoding="utf-8",
    )
    report = validate_policy_file(path)
    assert report.ok
    assert report.warnings == [
        'rule "floor_low": then.priority P4 never changes anything '
        "(priority only rises; use lower_priority to go down)",
        'rule "off_rule": disabled (enabled: false)',
        'rule "after": unreachable (rule "halt" always matches and stops)',
    ]


def test_duplicate_rule_ids_are_reported_alongside_other_errors() -> None:
    """All problems at once: a duplicate id is named even when another rule has an invalid field."""
    from aftersales.policy.loader import PolicyValidationError, policy_from_text

    text = (
        "rules:\n"
        "  - id: twice\n    when: {emotion: anger}\n    then: {priority: P2}\n"
        "  - id: twice\n    when: {emotion: angry}\n    then: {priority: P1}\n"
    )
    with pytest.raises(PolicyValidationError) as err:
        policy_from_text(text, source="p.yaml")
    joined = "\n".join(err.value.errors)
    assert 'rule "twice": id: duplicate (rules[0] and rules[1])' in joined
    assert 'unknown emotion "angry"' in joined
