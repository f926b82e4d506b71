"""Read a policy YAML into a checked Policy; every error names its line, rule id and field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from aftersales.errors import PolicyError
from aftersales.policy import schema
from aftersales.policy.conditions import PRIORITIES, AnyOf, Condition, Not, Test
from aftersales.policy.schema import Effects, Policy

_DEFAULT_NAME = "default.yaml"
_PATH_PREFIX = re.compile(r"^((?:rule \"[a-z0-9_]+\": )?)([A-Za-z0-9_.\[\]]+): ")
_MODEL_TAGS = frozenset(n for n, v in vars(schema).items() if isinstance(v, type) and issubclass(v, BaseModel))
_UNION_TAGS = _MODEL_TAGS | {"str", "int", "float", "bool", "none"}
_KIND_TEXT = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true/false", "none": "null"}
_OP_TEXT = {"eq": "=", "ne": "≠", "in": "in", "not_in": "not in", "gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}


class PolicyValidationError(PolicyError):
    """A policy that fails validation; `errors` holds one line per problem (the message joins them)."""

    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(f"{source}: invalid policy:\n" + "\n".join(f"  {e}" for e in errors))
        self.errors = errors


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys: a second `when:` must not silently replace the first."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f'duplicate key "{key}" (first at line {seen[key] + 1})', key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def default_policy_path() -> Path:
    """Where the shipped default policy lives (package data)."""
    return Path(str(resources.files("aftersales.policy").joinpath(_DEFAULT_NAME)))


def load_policy(path: Path | str | None = None) -> Policy:
    """Load and validate a policy file; None loads the shipped default."""
    target = default_policy_path() if path is None else Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{target}: cannot read policy file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{target}: a policy file must be UTF-8") from None
    return policy_from_text(text, source=str(target))


def policy_from_text(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate policy YAML text; errors carry `source:line:`."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        # The problem often surfaces lines later (an unclosed bracket at end of file): also say where it began.
        began = f" ({exc.context} at line {exc.context_mark.line + 1})" if exc.context and exc.context_mark else ""
        raise PolicyError(f"{where}: YAML error: {exc.problem or exc.context}{began}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: YAML error: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        errors = _explain(exc, data, text, source)
        # The model's own duplicate check runs only once every field is valid; report all problems at once.
        errors += [f"{source}: {d}" for d in _raw_duplicate_ids(data) if not any(d in e for e in errors)]
        raise PolicyValidationError(source, errors) from None


def _raw_duplicate_ids(data: dict[str, Any]) -> list[str]:
    """Duplicate rule ids read from the raw YAML (before the model validates, which may stop at other errors)."""
    rules = data.get("rules")
    if not isinstance(rules, list):
        return []
    first: dict[str, int] = {}
    out = []
    for i, rule in enumerate(rules):
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if not isinstance(rule_id, str):
            continue
        if rule_id in first:
            out.append(f'rule "{rule_id}": id: duplicate (rules[{first[rule_id]}] and rules[{i}])')
        first.setdefault(rule_id, i)
    return out


def _explain(exc: ValidationError, data: dict[str, Any], text: str, source: str) -> list[str]:
    """Turn pydantic errors into `source:line: rule "id": field: message` lines."""
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
    except yaml.YAMLError:
        root = None
    lines: list[str] = []
    for loc, messages in _merge_unions(exc.errors()):
        prefix, rest = "", loc
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rule = data.get("rules", [])[loc[1]]
            rid = rule.get("id") if isinstance(rule, dict) else None
            prefix = f'rule "{rid}"' if isinstance(rid, str) and rid else f"rules[{loc[1]}]"
            rest = loc[2:]
        where = _dotted(rest)
        for message in messages:
            sub = _PATH_PREFIX.match(message)
            if not prefix and not where:
                # Policy-level lines carry their own `rule "id": path:` prefix; locate them through it.
                line, yaml_path = message, _path_of_line(message, data)
            elif sub and not sub.group(1):
                # A validator listed several problems below this location as "sub.path: message".
                line = ": ".join(p for p in (prefix, f"{where}.{message}" if where else message) if p)
                yaml_path = loc + _split_path(sub.group(2))
            else:
                line, yaml_path = ": ".join(p for p in (prefix, where, message) if p), loc
            number = _line_of(root, yaml_path)
            lines.append(f"{source}:{number}: {line}" if number else line)
    return lines


def _merge_unions(errors: list[Any]) -> list[tuple[list[Any], list[str]]]:
    """One report per location: pydantic gives one error per union member ("str", "LocalText"); keep the useful one."""
    grouped: dict[tuple[Any, ...], list[tuple[list[Any], Any]]] = {}
    for err in errors:
        loc = list(err["loc"])
        tag = next((i for i, step in enumerate(loc) if step in _UNION_TAGS), None)
        key = tuple(loc[:tag]) if tag is not None else tuple(loc)
        grouped.setdefault(key, []).append((loc, err))
    out: list[tuple[list[Any], list[str]]] = []
    for key, items in grouped.items():
        tagged = [(loc, err) for loc, err in items if any(step in _UNION_TAGS for step in loc)]
        if not tagged:
            out += [(loc, _messages(err, loc)) for loc, err in items]
            continue
        models = [(loc, err) for loc, err in tagged if any(step in _MODEL_TAGS for step in loc)]
        value = next((err["input"] for loc, err in tagged if len(loc) == len(key) + 1), None)
        if models and (isinstance(value, dict) or value is None):
            out += [([s for s in loc if s not in _UNION_TAGS], _messages(err, loc)) for loc, err in models]
        else:
            kinds = sorted({_KIND_TEXT.get(str(loc[len(key)]), "a mapping") for loc, _ in tagged})
            out.append((list(key), [f"expected {' or '.join(kinds)}, got {value!r}"]))
    return out


def _messages(err: Any, loc: list[Any]) -> list[str]:
    if err["type"] == "value_error":
        return str(err["ctx"]["error"]).splitlines()
    if err["type"] == "extra_forbidden":
        return [f"unknown key (allowed: {', '.join(_allowed_keys(loc[:-1]))})"]
    if err["type"] == "missing":
        return ["required"]
    if err["type"] == "string_type" and isinstance(err["input"], bool):
        return [f"expected text, got {err['input']} (YAML reads yes/no/on/off as booleans: quote the value)"]
    return [f"{err['msg']}, got {err['input']!r}"]


def _allowed_keys(loc: list[Any]) -> list[str]:
    """Field names of the model at a location, so a typo's error lists what would have been accepted."""
    model: type[BaseModel] = Policy
    for step in loc:
        if isinstance(step, int):
            continue
        info = model.model_fields.get(str(step))
        if info is None:
            continue  # a dict key (e.g. a tier under compensation.limits) or a union member's tag
        nested = _model_in(info.annotation)
        if nested is None:
            return []
        model = nested
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _dotted(loc: list[Any]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _split_path(path: str) -> list[Any]:
    parts: list[Any] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return parts


def _path_of_line(message: str, data: dict[str, Any]) -> list[Any]:
    match = re.match(r'^rule "([a-z0-9_]+)": ([A-Za-z0-9_.\[\]]+): ', message)
    if match:
        ids = [r.get("id") if isinstance(r, dict) else None for r in data.get("rules", [])]
        index = ids.index(match.group(1)) if match.group(1) in ids else 0
        return ["rules", index, *_split_path(match.group(2))]
    match = re.match(r"^([A-Za-z0-9_.\[\]]+)[: ]", message)
    return _split_path(match.group(1)) if match else []


def _line_of(node: Any, path: list[Any]) -> int | None:
    """1-based line of the deepest YAML node reachable along `path`."""
    line = None
    for step in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(step):
                    nxt, line = value_node, key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            nxt = node.value[step]
        node = nxt
    return line


# ---------------------------------------------------------------- human-readable summaries


def describe_condition(cond: Condition, nested: bool = False) -> str:
    """One-line reading of a condition tree ("emotion = anger and intensity ≥ 3")."""
    if isinstance(cond, Test):
        value = cond.expected
        shown = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, tuple) else str(value)
        if cond.op == "contains":
            return f"{cond.field} has any of {shown}"
        return f"{cond.field} {_OP_TEXT[cond.op]} {shown}"
    if isinstance(cond, Not):
        return f"not ({describe_condition(cond.part)})"
    parts = [describe_condition(p, nested=True) for p in cond.parts]
    if not parts:
        return "always"
    text = (" or " if isinstance(cond, AnyOf) else " and ").join(parts)
    return f"({text})" if nested and len(parts) > 1 else text


def describe_effects(then: Effects, stop: bool = False) -> str:
    """One-line reading of a rule's effects ("priority ≥ P2; queue → tech_support; + explain")."""
    parts: list[str] = []
    if then.priority:
        parts.append(f"priority ≥ {then.priority}")
    if then.raise_priority:
        parts.append(f"priority +{then.raise_priority} (max {PRIORITIES[0]})")
    if then.lower_priority:
        parts.append(f"priority −{then.lower_priority} (min {PRIORITIES[-1]})")
    if then.queue:
        parts.append(f"queue → {then.queue}")
    if then.strategy:
        parts.append("strategy + " + ", ".join(then.strategy))
    if then.reply_template:
        parts.append(f"reply → {then.reply_template}")
    if then.auto_reply is not None:
        parts.append(f"auto_reply {str(then.auto_reply).lower()}")
    if then.notify:
        parts.append("notify " + ", ".join(then.notify))
    if then.sla:
        sla = {k: v for k, v in then.sla.model_dump().items() if v is not None}
        parts.append("SLA " + ", ".join(f"{k} {v}" for k, v in sla.items()))
    if stop:
        parts.append("stop")
    return "; ".join(parts)


# ---------------------------------------------------------------- `aftersales policy validate`


@dataclass
class ValidationReport:
    """What `aftersales policy validate FILE` prints: ok, the errors, warnings and a summary of the rules."""

    path: str
    ok: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    name: str | None = None
    policy_version: str | None = None
    rules: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (for --json)."""
        return {
            "path": self.path,
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
            "name": self.name,
            "policy_version": self.policy_version,
            "rules": self.rules,
        }


def validate_policy_file(path: Path | str | None) -> ValidationReport:
    """Check a policy file without raising: every error and warning, plus one summary line per rule."""
    source = str(default_policy_path() if path is None else path)
    try:
        policy = load_policy(path)
    except PolicyValidationError as exc:
        return ValidationReport(path=source, ok=False, errors=exc.errors)
    except PolicyError as exc:
        return ValidationReport(path=source, ok=False, errors=[exc.message])
    return ValidationReport(
        path=source,
        ok=True,
        warnings=policy_warnings(policy),
        name=policy.name,
        policy_version=policy.policy_version,
        rules=[
            {
                "id": r.id,
                "description": str(r.description),
                "when": describe_condition(r.condition),
                "then": describe_effects(r.then, r.stop),
                "enabled": r.enabled,
            }
            for r in policy.rules
        ],
    )


def policy_warnings(policy: Policy) -> list[str]:
    """Legal but suspicious things: effects that can never change anything, rules that can never run."""
    warnings: list[str] = []
    stopped_by: str | None = None
    for rule in policy.rules:
        if not rule.enabled:
            warnings.append(f'rule "{rule.id}": disabled (enabled: false)')
            continue
        if stopped_by:
            warnings.append(f'rule "{rule.id}": unreachable (rule "{stopped_by}" always matches and stops)')
        if rule.then.priority == PRIORITIES[-1]:
            warnings.append(
                f'rule "{rule.id}": then.priority {PRIORITIES[-1]} never changes anything '
                f"(priority only rises; use lower_priority to go down)"
            )
        if rule.stop and not rule.condition.parts and stopped_by is None:
            stopped_by = rule.id
    return warnings
