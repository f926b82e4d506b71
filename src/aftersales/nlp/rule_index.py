"""The rule layer's lexicon index: hit kinds, term → effects, and the trie regexes that scan a message once.

Built once per `RuleLayer` from `Lexicons`; `rules.py` reads messages with it. Kept apart so each module stays small.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from aftersales.nlp.lexicons import Lexicons
from aftersales.vocab import Emotion, Reason, Stage

EMOTION_CODES: tuple[str, ...] = tuple(Emotion.codes())
STAGE_CODES: tuple[str, ...] = tuple(Stage.codes())
REASON_CODES: tuple[str, ...] = tuple(c for c in Reason.codes() if c != Reason.OTHER)
STAGE_RANK = {code: i for i, code in enumerate(STAGE_CODES)}

# Signed polarity per emotion: anxiety is negative but mostly a worry, not a verdict; thanks and relief are positive.
EMOTION_SIGN = {
    "anger": -1.0,
    "dissatisfaction": -1.0,
    "disappointment": -1.0,
    "anxiety": -0.5,
    "neutral": 0.0,
    "satisfaction": 1.0,
    "relief": 0.8,
    "gratitude": 0.8,
}

# Hit kinds.
EMO, REASON, ASPECT, STAGE, HEDGE, URGENCY, POLITE, INTENS, NEG, DEG, SUFFIX, CONTRAST, SHADOW, PROBLEM = range(14)
CONTENT = frozenset({EMO, REASON, ASPECT, STAGE, HEDGE, URGENCY, POLITE, INTENS, PROBLEM})
MODIFIER = frozenset({NEG, DEG})

Effect = tuple[int, str, float]  # (kind, code, weight)
LATIN = re.compile("[a-z]")


class CompiledLexicons:
    """Lexicons compiled into scanning regexes and a term → effects table (built once per RuleLayer)."""

    GROUP = 80  # first characters per look-ahead group: measured fastest for CPython's regex engine

    def __init__(self, lex: Lexicons) -> None:
        effects: dict[str, list[Effect]] = {}

        def add(kind: int, code: str, table: Iterable[tuple[str, float]]) -> None:
            for term, weight in table:
                key = " ".join(term.lower().split())
                if key:
                    effects.setdefault(key, []).append((kind, code, weight))

        for code, table in lex.emotion.items():
            add(EMO, code, table.items())
        for code, table in lex.reasons.items():
            add(REASON, code, table.items())
        for code, table in lex.aspects.items():
            add(ASPECT, code, table.items())
        for code, table in lex.stage.items():
            add(STAGE, code, table.items())
        add(PROBLEM, "", lex.problem_nouns.items())
        for kind, table in (
            (HEDGE, lex.hedges),
            (URGENCY, lex.urgency),
            (POLITE, lex.politeness),
            (INTENS, lex.intensifiers),
            (NEG, lex.negators),
            (DEG, lex.degree),
            (SUFFIX, lex.degree_suffix),
            (CONTRAST, lex.contrast),
        ):
            add(kind, "", table.items())
        for term in (*lex.shadows, *lex.split_shadows):
            if term.lower() not in effects:  # a shadow only hides words; any real meaning wins
                effects[term.lower()] = [(SHADOW, "", 0.0)]
        # A split shadow hides only its front; the scanner reads the rest again (`RuleLayer._unshadow`).
        self.split_shadows = {
            t.lower(): p for t, p in lex.split_shadows.items() if effects.get(t.lower()) == [(SHADOW, "", 0.0)]
        }
        # "not as described" is also "is not as described", "isn't as described" …; "doesn't fit" also "does not fit".
        for term in [t for t in effects if LATIN.search(t)]:
            for variant in english_variants(term):
                effects.setdefault(variant, effects[term])
        # English terms with an apostrophe also match the curly apostrophe and no apostrophe at all.
        for term in [t for t in effects if "'" in t]:
            for variant in (term.replace("'", "\u2019"), term.replace("'", "")):
                effects.setdefault(variant, effects[term])
        self.effects: dict[str, tuple[Effect, ...]] = {t: tuple(e) for t, e in effects.items()}
        self.lexneg = self._lexicalised_negations(self.effects)
        # Negators that end in a shorter negator ("一点都不" → "不" at 3): a lexicalised term may start there.
        plain_negs = {t for t, e in self.effects.items() if any(k == NEG for k, _c, _w in e) and not t.isascii()}
        self.neg_tails = {
            t: next(p for p in range(1, len(t)) if t[p:] in plain_negs)
            for t in plain_negs
            if any(t[p:] in plain_negs for p in range(1, len(t)))
        }
        latin = [t for t in self.effects if LATIN.search(t)]
        other = [t for t in self.effects if not LATIN.search(t)]
        self.zh = re.compile(self._grouped(other))
        self.en = re.compile(r"(?<![a-z0-9])(?:" + self._grouped(latin) + r")(?![a-z0-9])")
        # When a term is given back, the negator's front ("一点也" of "一点也不") stays as a degree word of its strength
        # (looked up only, never scanned for: it is not a word of its own).
        for t, p in self.neg_tails.items():
            if t[:p] not in self.effects:
                strength = max(w for k, _c, w in self.effects[t] if k == NEG)
                self.effects[t[:p]] = ((DEG, "", strength),)
        self.patterns = [(re.compile(rx), f"stage:{code}", w) for code, rx, w in lex.stage_patterns]
        self.future = re.compile(lex.future_markers)
        self.breaks = re.compile(lex.negation_breaks)
        self.swearing = frozenset(t.lower() for t in lex.swearing)
        # A negated problem is a denial ("没有坏", "不算贵"); a refused request stays a complaint ("不退差价").
        self.keeps = frozenset(t.lower() for t in lex.negation_keeps)
        self.deniable = frozenset(
            t
            for t, effs in self.effects.items()
            if t not in self.keeps and any(k == REASON and (w >= 0.8 or c in lex.deniable_codes) for k, c, w in effs)
        )

    @staticmethod
    def _lexicalised_negations(effects: dict[str, tuple[Effect, ...]]) -> dict[str, float]:
        """Positive terms that are a negator plus a complaint word ("不差", "没毛病", "no problems") → its weight.

        The scanner reads them as one positive word, but a character model still sees the complaint inside, so
        they count as cleared negative evidence like a syntactic negation does.
        """
        negators = sorted((t for t, e in effects.items() if any(k == NEG for k, _c, _w in e)), key=len, reverse=True)
        out: dict[str, float] = {}
        for term, effs in effects.items():
            if not any(k == EMO and EMOTION_SIGN[c] > 0 for k, c, _w in effs):
                continue
            for neg in negators:
                rest = term[len(neg) :].strip() if term.startswith(neg) else ""
                weight = max((w for k, c, w in effects.get(rest, ()) if is_complaint(k, c)), default=0.0)
                if weight:
                    out[term] = weight
                    break
        return out

    @classmethod
    def _grouped(cls, terms: list[str]) -> str:
        """A trie regex split into look-ahead groups by first character (sre tries alternatives one by one)."""
        firsts = Counter(t[0] for t in terms)
        order = sorted(firsts, key=lambda c: (-firsts[c], c))
        parts = []
        for i in range(0, len(order), cls.GROUP):
            group = set(order[i : i + cls.GROUP])
            chars = "".join(re.escape(c) for c in sorted(group))
            parts.append(f"(?=[{chars}])" + trie_regex([t for t in terms if t[0] in group], firsts))
        return "|".join(parts) if parts else "(?!)"


_CONTRACTIONS = (
    ("doesn't", "does not"),
    ("didn't", "did not"),
    ("don't", "do not"),
    ("won't", "will not"),
    ("can't", "cannot"),
    ("haven't", "have not"),
    ("hasn't", "has not"),
    ("isn't", "is not"),
    ("wasn't", "was not"),
    ("aren't", "are not"),
    ("weren't", "were not"),
)
_BE_NOT = ("is not", "isn't", "was not", "wasn't", "are not", "aren't", "were not", "weren't")


def english_variants(term: str) -> list[str]:
    """Spellings of an English term that the greedy scanner would otherwise split at a negator ("is not …")."""
    out = []
    for short, long in _CONTRACTIONS:
        for a, b in ((short, long), (long, short)):
            if re.search(rf"(?<![a-z']){re.escape(a)}(?![a-z'])", term):
                out.append(re.sub(rf"(?<![a-z']){re.escape(a)}(?![a-z'])", b, term))
    if term.startswith("not "):  # "not as described": a multi-word negator must not swallow its first word
        out.extend(f"{be} {term[4:]}" for be in _BE_NOT)
    return out


def is_complaint(kind: int, code: str) -> bool:
    """Whether a lexicon effect states a complaint (a negative emotion word, a problem statement, a problem noun)."""
    return (kind == EMO and EMOTION_SIGN[code] < 0) or kind in (REASON, PROBLEM)


_Node = dict[str, "_Node"]


def trie_regex(terms: list[str], rank: Counter[str]) -> str:
    """Regex for a set of literals as a character trie; greedy, so the longest term at a position wins."""
    root: _Node = {}
    for term in terms:
        node = root
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Node) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items(), key=lambda kv: -rank[kv[0]]) if ch]
        if not alts:
            return ""
        body = "|".join(alts)
        if "" in node:
            return f"(?:{body})?"
        return f"(?:{body})" if len(alts) > 1 else body

    return build(root)
