"""The lexicon/rule layer: explainable evidence scores for emotion, polarity, intensity, stage and reasons.

It turns a `Normalised` message into `RuleSignals` — scores (features for the stacked model), not decisions — plus
one hard rule where wording is unambiguous: `stage_floor` ("已经向12315投诉了" proves a formal complaint). Every score
comes with `Evidence` spans in ORIGINAL-text offsets. See docs/nlp.md, "Lexicon and rule layer".

How a message is read:

1. one scan of the lower-cased normalised text with a precompiled trie regex (longest term wins at each position;
   Chinese terms anywhere, English terms on word boundaries), plus a few regexes for tenses ("投诉了", "I have filed");
2. each content hit (emotion, reason, stage, aspect …) looks back over the modifiers right before it in the same
   clause — negators flip or cancel it, degree adverbs scale it — and forward for a degree suffix ("好得很");
3. hits after a contrast marker (但是, 结果, "用两天就…") weigh ×1.4, hits before one ×0.7;
4. aspect words (物流, 客服, 价格 …) become reasons only next to a negative opinion in the same clause;
5. `Normalised.cues` (emoji, emoticons, ！！！, CAPS, elongation) add emotion and intensity.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aftersales.nlp.lexicons import Lexicons
from aftersales.nlp.normalise import CueKind, Normalised
from aftersales.nlp.types import Evidence
from aftersales.vocab import Emotion, Reason, Stage

__all__ = ["REASON_CODES", "RuleLayer", "RuleSignals"]

EMOTION_CODES: tuple[str, ...] = tuple(Emotion.codes())
STAGE_CODES: tuple[str, ...] = tuple(Stage.codes())
REASON_CODES: tuple[str, ...] = tuple(c for c in Reason.codes() if c != Reason.OTHER)
_STAGE_RANK = {code: i for i, code in enumerate(STAGE_CODES)}

# Signed polarity per emotion: anxiety is negative but mostly a worry, not a verdict; thanks and relief are positive.
_EMOTION_SIGN = {
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
EMO, REASON, ASPECT, STAGE, HEDGE, URGENCY, POLITE, INTENS, NEG, DEG, SUFFIX, CONTRAST, SHADOW = range(13)
_CONTENT = frozenset({EMO, REASON, ASPECT, STAGE, HEDGE, URGENCY, POLITE, INTENS})
_MODIFIER = frozenset({NEG, DEG})

ZH_WINDOW = 3  # characters allowed between a Chinese modifier and its word ("不是很满意": 不是 … 满意)
EN_WINDOW = 12  # the same for English ("not very happy", "don't really like")
CONTRAST_AFTER = 1.4
CONTRAST_BEFORE = 0.7
POLARITY_SCALE = 0.7  # polarity = tanh(scale × net evidence)

_CLAUSE = re.compile(r"[,，。.!?！？;；、~～\n…:：()（）]|(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")
_LATIN = re.compile("[a-z]")
_NEG_BEFORE = re.compile(r"(?:不|没|没有|未|别|从未|并未|never |not |n't |haven't |have not )$")
_TIME_FAIL = re.compile(r"用了?[\d一二两三四五六七八九十几半]+(?:天|周|个?星期|个?月|次|回|下)(?:就|不到|后)")
_STAGE_TRIGGER = re.compile(
    r"投诉|举报|起诉|报警|曝光|申诉|反映|打了|打过|拨|filed|reported|contacted|called|lodged|submitted|opened|disputed|complained"
)
_PAST = re.compile(r"已|过|already|have|'ve|had")

Effect = tuple[int, str, float]  # (kind, code, weight)


@dataclass(frozen=True)
class RuleSignals:
    """Evidence strengths read from the wording of one message, for stacking with statistical models."""

    emotion: dict[str, float]
    polarity: float
    intensity: float
    stage: dict[str, float]
    stage_floor: str
    reasons: dict[str, float]
    evidence: dict[str, tuple[Evidence, ...]]
    urgency: float = 0.0
    politeness: float = 0.0
    negations: int = field(default=0)


class _Compiled:
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
        for term in lex.shadows:
            if term.lower() not in effects:  # a shadow only hides words; any real meaning wins
                effects[term.lower()] = [(SHADOW, "", 0.0)]
        # English terms with an apostrophe also match the curly apostrophe and no apostrophe at all.
        for term in [t for t in effects if "'" in t]:
            for variant in (term.replace("'", "\u2019"), term.replace("'", "")):
                effects.setdefault(variant, effects[term])
        self.effects: dict[str, tuple[Effect, ...]] = {t: tuple(e) for t, e in effects.items()}
        latin = [t for t in self.effects if _LATIN.search(t)]
        other = [t for t in self.effects if not _LATIN.search(t)]
        self.zh = re.compile(self._grouped(other))
        self.en = re.compile(r"(?<![a-z0-9])(?:" + self._grouped(latin) + r")(?![a-z0-9])")
        self.patterns = [(re.compile(rx), f"stage:{code}", w) for code, rx, w in lex.stage_patterns]
        self.future = re.compile(lex.future_markers)

    @classmethod
    def _grouped(cls, terms: list[str]) -> str:
        """A trie regex split into look-ahead groups by first character (sre tries alternatives one by one)."""
        firsts = Counter(t[0] for t in terms)
        order = sorted(firsts, key=lambda c: (-firsts[c], c))
        parts = []
        for i in range(0, len(order), cls.GROUP):
            group = set(order[i : i + cls.GROUP])
            chars = "".join(re.escape(c) for c in sorted(group))
            parts.append(f"(?=[{chars}])" + _trie([t for t in terms if t[0] in group], firsts))
        return "|".join(parts) if parts else "(?!)"


_Node = dict[str, "_Node"]


def _trie(terms: list[str], rank: Counter[str]) -> str:
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


class _Acc:
    """Mutable accumulator for one message (kept apart so RuleLayer.signals stays readable)."""

    __slots__ = (
        "emotion",
        "ev",
        "hedge",
        "high_deg",
        "insult",
        "intens",
        "max_affect",
        "neg",
        "neg_ops",
        "negations",
        "net",
        "politeness",
        "pos",
        "reasons",
        "stage",
        "strong_reason",
        "urgency",
    )

    def __init__(self) -> None:
        self.emotion = dict.fromkeys(EMOTION_CODES, 0.0)
        self.stage = dict.fromkeys(STAGE_CODES, 0.0)
        self.reasons = dict.fromkeys(REASON_CODES, 0.0)
        self.ev: dict[str, list[Evidence]] = {}
        self.net = self.pos = self.neg = self.hedge = self.intens = self.urgency = self.politeness = 0.0
        self.max_affect = self.strong_reason = 0.0
        self.high_deg = self.insult = self.negations = 0
        self.neg_ops: list[tuple[int, int, str]] = []  # (clause, start, term) of negative opinions

    def add(self, key: str, ev: Evidence) -> None:
        """Append one piece of evidence under a key."""
        self.ev.setdefault(key, []).append(ev)

    def polar(self, value: float, ev: Evidence) -> None:
        """Add a signed contribution to polarity, with its evidence."""
        self.net += value
        if value > 0:
            self.pos += value
        else:
            self.neg -= value
        self.add("polarity", Evidence(ev.text, ev.start, ev.end, ev.source, round(value, 3), ev.note))


class RuleLayer:
    """Lexicon and rule scores for messages; pure and thread-safe after construction."""

    def __init__(self, lexicons: Lexicons | None = None) -> None:
        self.lexicons = lexicons or Lexicons.default()
        self._c = _Compiled(self.lexicons)
        self._names = (
            ["polarity", "intensity", "urgency", "politeness", "negations"]
            + [f"emotion:{c}" for c in EMOTION_CODES]
            + [f"stage:{c}" for c in STAGE_CODES]
            + [f"stage_floor:{c}" for c in STAGE_CODES]
            + [f"reason:{c}" for c in REASON_CODES]
        )

    # ------------------------------------------------------------------ public API

    def feature_names(self) -> list[str]:
        """Names of `features` in their stable order (the stacking model's column names)."""
        return list(self._names)

    def features(self, sig: RuleSignals) -> list[float]:
        """Flat vector in `feature_names` order, so a stacked model can read rule scores as columns."""
        return [
            sig.polarity,
            sig.intensity,
            sig.urgency,
            sig.politeness,
            float(sig.negations),
            *(sig.emotion[c] for c in EMOTION_CODES),
            *(sig.stage[c] for c in STAGE_CODES),
            *(1.0 if sig.stage_floor == c else 0.0 for c in STAGE_CODES),
            *(sig.reasons[c] for c in REASON_CODES),
        ]

    def signals_batch(self, norms: Sequence[Normalised]) -> list[RuleSignals]:
        """`signals` for many messages, in order."""
        return [self.signals(n) for n in norms]

    def signals(self, norm: Normalised) -> RuleSignals:
        """Read one normalised message into evidence scores (never raises on odd input)."""
        text = norm.text
        low = text.lower()
        if len(low) != len(text):  # a few characters lower-case to two ("İ"); keep offsets aligned
            low = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
        acc = _Acc()
        hits = self._scan(low)
        if hits or norm.cues:
            bounds = [m.start() for m in _CLAUSE.finditer(low)] if hits else []
            self._read_hits(norm, low, hits, bounds, acc)
            self._read_patterns(norm, low, bounds, acc)
            self._read_cues(norm, acc)
        return self._finish(acc)

    # ------------------------------------------------------------------ scanning

    def _scan(self, low: str) -> list[tuple[int, int, str]]:
        """All lexicon hits, ordered by position (non-overlapping within each script)."""
        hits = [(m.start(), m.end(), m.group()) for m in self._c.zh.finditer(low)]
        if _LATIN.search(low):
            en = [(m.start(), m.end(), m.group()) for m in self._c.en.finditer(low)]
            if en:
                hits = sorted(hits + en) if hits else en
        return hits

    def _ev(self, norm: Normalised, s: int, e: int, source: str, weight: float, note: str = "") -> Evidence:
        """Evidence for a normalised span, located in the original text."""
        a, b = norm.to_original(s, e)
        return Evidence(norm.original[a:b], a, b, source, round(weight, 3), note)

    def _read_hits(
        self, norm: Normalised, low: str, hits: list[tuple[int, int, str]], bounds: list[int], acc: _Acc
    ) -> None:
        """Apply every content hit with its negation, degree and contrast context."""
        effects = self._c.effects
        contrasts = [s for s, _e, t in hits if any(k == CONTRAST for k, _c, _w in effects[t])]
        for m in _TIME_FAIL.finditer(low) if "用" in low else ():  # "用两天就坏了": failed soon after use
            contrasts.append(m.start())
            ev = self._ev(norm, m.start(), m.end(), "lexicon", 0.5, "failed soon after use")
            acc.reasons["quality_defect"] += 0.5
            acc.add("reason:quality_defect", ev)
            acc.polar(-0.5, ev)
            acc.emotion["dissatisfaction"] += 0.3
            acc.add("emotion:dissatisfaction", ev)
        aspects: list[tuple[int, int, int, str, float, str]] = []
        n = len(hits)
        for i in range(n):
            s, e, term = hits[i]
            effs = effects[term]
            if not any(k in _CONTENT for k, _c, _w in effs):
                continue
            clause = bisect_right(bounds, s)
            window = EN_WINDOW if term.isascii() else ZH_WINDOW
            neg_strength, neg_term, softened, deg, notes = 0.0, "", False, 1.0, []
            edge, k = s, i - 1
            while k >= 0:  # modifiers right before the word, nearest first
                ps, pe, pterm = hits[k]
                kinds = {kk for kk, _c, _w in effects[pterm]}
                if not kinds & _MODIFIER or edge - pe > window or bisect_right(bounds, ps) != clause:
                    break
                for kk, _c, w in effects[pterm]:
                    if kk == NEG and not neg_term:
                        neg_strength, neg_term, softened = w, pterm, deg != 1.0
                    elif kk == DEG:
                        deg *= w
                        notes.append(f"degree ×{w:g} {norm.original_text(ps, pe)}")
                        acc.high_deg += w >= 1.5
                edge, k = ps, k - 1
            if i + 1 < n and hits[i + 1][0] - e <= 1:
                for kk, _c, w in effects[hits[i + 1][2]]:
                    if kk == SUFFIX:
                        deg *= w
                        notes.append(f"degree ×{w:g} {norm.original_text(hits[i + 1][0], hits[i + 1][1])}")
                        acc.high_deg += w >= 1.5
            contrast = 1.0
            if contrasts:
                if any(c < s for c in contrasts):
                    contrast *= CONTRAST_AFTER
                if any(c >= e for c in contrasts):
                    contrast *= CONTRAST_BEFORE
            if neg_term:
                acc.negations += 1
                notes.insert(0, f"negated by {neg_term}")
            note = "; ".join(notes)
            for kind, code, w in effs:
                if kind == EMO:
                    self._emotion_hit(norm, acc, s, e, clause, code, w, deg, contrast, neg_strength, softened, note)
                elif kind == REASON and not neg_term:
                    self._reason_hit(norm, acc, s, e, code, w, min(deg, 1.5) * contrast)
                elif kind == ASPECT:
                    aspects.append((clause, s, e, code, w, term))
                elif kind == STAGE and not neg_term:
                    acc.stage[code] += w
                    acc.add(f"stage:{code}", self._ev(norm, s, e, "lexicon", w, note))
                elif kind == HEDGE and not neg_term:
                    acc.hedge += w
                    acc.stage["latent"] += 0.6 * w
                    acc.add("stage:latent", self._ev(norm, s, e, "lexicon", 0.6 * w, "hedge"))
                elif kind == URGENCY and not neg_term:
                    acc.urgency += w
                    acc.add("urgency", self._ev(norm, s, e, "lexicon", w))
                elif kind == POLITE:
                    acc.politeness += w
                    acc.add("politeness", self._ev(norm, s, e, "lexicon", w))
                elif kind == INTENS:
                    acc.intens += w
                    acc.add("intensity", self._ev(norm, s, e, "lexicon", w, "intensifier"))
        for clause, s, e, code, w, _term in aspects:
            opinion = next((t for c, os_, t in acc.neg_ops if c == clause and abs(os_ - s) <= 10), None)
            weight = 0.8 * w if opinion else 0.2 * w
            acc.reasons[code] += weight
            acc.add(
                f"reason:{code}",
                self._ev(norm, s, e, "lexicon", weight, f"with {opinion}" if opinion else "topic only"),
            )

    def _emotion_hit(
        self,
        norm: Normalised,
        acc: _Acc,
        s: int,
        e: int,
        clause: int,
        code: str,
        w: float,
        deg: float,
        contrast: float,
        neg: float,
        softened: bool,
        note: str,
    ) -> None:
        """One emotion word: flipped by a negator ("不满意" is its own word; "不是很满意" is flipped, mildly)."""
        sign = _EMOTION_SIGN[code]
        if neg and sign > 0:  # 不好 / not happy: a mild complaint
            code, value = "dissatisfaction", w * min(deg, 1.5) * min(neg, 1.0) * (0.5 if softened else 0.8)
            sign = -1.0
        elif neg and sign < 0:  # 一点也不差 / not bad: weakly positive, stronger for emphatic negators
            code, value = ("relief" if code == "anxiety" else "satisfaction"), w * 0.5 * neg * (0.6 if softened else 1)
            sign = 1.0
        else:
            value = w * deg
        value *= contrast
        ev = self._ev(norm, s, e, "lexicon", value, note)
        acc.emotion[code] += value
        acc.add(f"emotion:{code}", ev)
        if sign:
            acc.polar(sign * value, ev)
            acc.max_affect = max(acc.max_affect, value)
        if sign < 0 and code != "anxiety":
            acc.neg_ops.append((clause, s, norm.original_text(s, e)))
        if code == "anger" and w >= 2.0 and not neg:
            acc.insult += 1

    def _reason_hit(self, norm: Normalised, acc: _Acc, s: int, e: int, code: str, w: float, scale: float) -> None:
        """One problem statement: a reason, and (when unambiguous) a plain complaint's polarity and emotion."""
        ev = self._ev(norm, s, e, "lexicon", w)
        acc.reasons[code] += w
        acc.add(f"reason:{code}", ev)
        if w >= 0.8:  # scale: degree ("有点贵" is milder) × contrast
            acc.strong_reason += w
            acc.polar(-0.6 * w * scale, ev)
            implicit = self._ev(norm, s, e, "lexicon", 0.6 * w * scale, f"problem statement ({code})")
            acc.emotion["dissatisfaction"] += 0.6 * w * scale
            acc.add("emotion:dissatisfaction", implicit)

    def _read_patterns(self, norm: Normalised, low: str, bounds: list[int], acc: _Acc) -> None:
        """Tense-aware escalation patterns: filed (formal) unless the clause speaks of the future (intent)."""
        if not _STAGE_TRIGGER.search(low):
            return
        for rx, key, w in self._c.patterns:
            for m in rx.finditer(low):
                s, e = m.span()
                if _NEG_BEFORE.search(low, max(0, s - 4), s):
                    continue
                clause_start = bounds[bisect_right(bounds, s) - 1] + 1 if bisect_right(bounds, s) else 0
                said = low[clause_start:e]
                if key == "stage:formal_complaint" and not _PAST.search(m.group()) and self._c.future.search(said):
                    acc.stage["intent_to_complain"] += 0.75 * w
                    acc.add("stage:intent_to_complain", self._ev(norm, s, e, "lexicon", 0.75 * w, "future/conditional"))
                    continue
                code = key.split(":", 1)[1]
                acc.stage[code] += w
                acc.add(key, self._ev(norm, s, e, "lexicon", w, "pattern"))

    def _read_cues(self, norm: Normalised, acc: _Acc) -> None:
        """Emoji and emoticons name an emotion; punctuation runs, capitals and elongation raise intensity."""
        emoji = 0
        for cue in norm.cues:
            s, e = cue.span
            if cue.kind in (CueKind.EMOJI, CueKind.EMOTICON):
                code = cue.value
                ev = self._ev(norm, s, e, "emoji", 1.0, cue.kind.value)
                acc.emotion[code] += 1.0
                acc.add(f"emotion:{code}", ev)
                if _EMOTION_SIGN[code]:
                    acc.polar(_EMOTION_SIGN[code] * 0.8, ev)
                emoji += 1
                if emoji <= 2:
                    acc.intens += 0.3
                    acc.add("intensity", self._ev(norm, s, e, "emoji", 0.3, cue.kind.value))
            elif cue.kind == CueKind.REPEATED_PUNCT:
                bump = 0.8 if e - s >= 3 else 0.5
                acc.intens += bump
                acc.add("intensity", self._ev(norm, s, e, "punctuation", bump, f"repeated {cue.value}"))
                if "?" in cue.value:
                    acc.emotion["anxiety"] += 0.4
                    acc.add("emotion:anxiety", self._ev(norm, s, e, "punctuation", 0.4, "repeated ?"))
                if "!" in cue.value and acc.neg > 0:
                    acc.emotion["anger"] += 0.3 * bump
                    acc.add(
                        "emotion:anger", self._ev(norm, s, e, "punctuation", 0.3 * bump, "repeated ! in a complaint")
                    )
            else:
                bump = 0.7 if cue.kind == CueKind.ALL_CAPS else 0.3
                acc.intens += bump
                acc.add("intensity", self._ev(norm, s, e, "typography", bump, cue.kind.value))

    # ------------------------------------------------------------------ summing up

    def _finish(self, acc: _Acc) -> RuleSignals:
        """Polarity, intensity, stage scores and the stage floor from the accumulated evidence."""
        stage = acc.stage
        stage["explicit"] += acc.neg + 0.5 * acc.strong_reason
        stage["none"] += max(0.0, acc.pos - acc.neg) + 0.5 * acc.emotion["neutral"]
        if acc.pos and acc.neg:
            stage["latent"] += 0.5 * min(acc.pos, acc.neg)
        floor = "none"
        if any(ev.weight >= 1.5 for ev in acc.ev.get("stage:formal_complaint", ())):
            floor = "formal_complaint"
        elif any(ev.weight >= 1.0 for ev in acc.ev.get("stage:intent_to_complain", ())):
            floor = "intent_to_complain"
        affect = acc.max_affect > 0 or acc.intens > 0 or acc.strong_reason > 0 or floor != "none"
        intensity = 0.0
        if affect:
            base = max(acc.max_affect, 0.8 * min(acc.strong_reason, 1.5))
            intensity = 1.0 + min(max((base - 0.5) / 0.7, 0.0), 1.0)
            intensity += min(0.5 * acc.high_deg, 1.0) + (0.5 if acc.high_deg >= 2 else 0.0)
            intensity += min(1.0 * acc.insult, 1.0) + min(acc.intens, 1.5)
            intensity += 0.5 if floor != "none" else 0.0
            intensity -= min(0.5 * acc.hedge, 1.0)
            intensity = min(max(intensity, 1.0), 3.0)
        return RuleSignals(
            emotion={k: round(v, 4) for k, v in acc.emotion.items()},
            polarity=round(math.tanh(POLARITY_SCALE * acc.net), 4),
            intensity=round(intensity, 3),
            stage={k: round(v, 4) for k, v in stage.items()},
            stage_floor=floor,
            reasons={k: round(v, 4) for k, v in acc.reasons.items()},
            evidence={k: tuple(v) for k, v in acc.ev.items()},
            urgency=round(acc.urgency, 3),
            politeness=round(acc.politeness, 3),
            negations=acc.negations,
        )


def stage_at_least(stage: str, floor: str) -> str:
    """The later of two stages in the complaint-stage order (apply the rule floor to a model's stage)."""
    return stage if _STAGE_RANK.get(stage, 0) >= _STAGE_RANK.get(floor, 0) else floor
