"""Curated lexicons for the rule layer (`aftersales.nlp.rules`): emotion, stage, reason, aspect and modifier words.

The tables are plain Python dicts (term → weight) so they ship inside the wheel with no data-file plumbing and are
type-checked. Chinese terms are simplified (the scanner reads `Normalised.text`, already converted by OpenCC);
English terms are lower-case and matched case-insensitively on word boundaries. `Lexicons` bundles them so a caller
can pass an extended or domain-specific copy to `RuleLayer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache

from aftersales.nlp.lexicons.emotion import EMOTION_TERMS, SWEARING
from aftersales.nlp.lexicons.modifiers import (
    CONTRAST,
    DEGREE,
    DEGREE_SUFFIX,
    HEDGES,
    INTENSIFIERS,
    NEGATION_BREAKS,
    NEGATORS,
    POLITENESS,
    PROBLEM_NOUNS,
    SHADOWS,
    SPLIT_SHADOWS,
    URGENCY,
)
from aftersales.nlp.lexicons.reasons import ASPECT_TERMS, DENIABLE_CODES, NEGATION_KEEPS, REASON_TERMS
from aftersales.nlp.lexicons.stage import FUTURE_MARKERS, STAGE_PATTERNS, STAGE_TERMS

__all__ = ["Lexicons"]

Table = Mapping[str, float]


@dataclass(frozen=True)
class Lexicons:
    """Every word list the rule layer reads; `Lexicons.default()` is ours, `extend` adds a domain's words."""

    emotion: Mapping[str, Table]
    stage: Mapping[str, Table]
    reasons: Mapping[str, Table]
    aspects: Mapping[str, Table]
    negators: Table
    degree: Table
    degree_suffix: Table
    contrast: Table
    hedges: Table
    urgency: Table
    politeness: Table
    intensifiers: Table
    shadows: frozenset[str]
    stage_patterns: tuple[tuple[str, str, float], ...]
    future_markers: str
    problem_nouns: Table = field(default_factory=dict)
    negation_breaks: str = field(default="(?!)")  # regex: characters that end a negator's scope
    swearing: frozenset[str] = field(default_factory=frozenset)  # anger words that are no opinion of an aspect
    negation_keeps: frozenset[str] = field(default_factory=frozenset)  # reason terms still complaints when negated
    deniable_codes: frozenset[str] = field(default_factory=frozenset)  # codes whose weak terms can be denied too
    split_shadows: Mapping[str, int] = field(default_factory=dict)  # shadows hiding only their front (length)
    version: str = field(default="lexicon-2")

    @staticmethod
    @cache
    def default() -> Lexicons:
        """The curated default lexicons (built once per process)."""
        return Lexicons(
            emotion=EMOTION_TERMS,
            stage=STAGE_TERMS,
            reasons=REASON_TERMS,
            aspects=ASPECT_TERMS,
            negators=NEGATORS,
            degree=DEGREE,
            degree_suffix=DEGREE_SUFFIX,
            contrast=CONTRAST,
            hedges=HEDGES,
            urgency=URGENCY,
            politeness=POLITENESS,
            intensifiers=INTENSIFIERS,
            shadows=SHADOWS,
            stage_patterns=STAGE_PATTERNS,
            future_markers=FUTURE_MARKERS,
            problem_nouns=PROBLEM_NOUNS,
            negation_breaks=NEGATION_BREAKS,
            swearing=SWEARING,
            negation_keeps=NEGATION_KEEPS,
            deniable_codes=DENIABLE_CODES,
            split_shadows=SPLIT_SHADOWS,
        )

    def extend(
        self,
        *,
        emotion: Mapping[str, Table] | None = None,
        reasons: Mapping[str, Table] | None = None,
        stage: Mapping[str, Table] | None = None,
    ) -> Lexicons:
        """A copy with extra terms merged in (a merchant's product words, a new slang term) without editing ours."""

        def merged(base: Mapping[str, Table], extra: Mapping[str, Table] | None) -> dict[str, Table]:
            out: dict[str, Table] = {code: dict(table) for code, table in base.items()}
            for code, table in (extra or {}).items():
                if code not in out:
                    raise KeyError(f"unknown code {code!r}; expected one of {sorted(out)}")
                out[code] = {**out[code], **table}
            return out

        return replace(
            self,
            emotion=merged(self.emotion, emotion),
            reasons=merged(self.reasons, reasons),
            stage=merged(self.stage, stage),
            version=self.version + "+ext",
        )
