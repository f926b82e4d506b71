"""The lexicon/rule layer: explainable evidence scores for emotion, polarity, intensity, stage and reasons.

It turns a `Normalised` message into `RuleSignals` — scores (features for the stacked model), not decisions — plus
one hard rule where wording is unambiguous: `stage_floor` ("已经向12315投诉了" proves a formal complaint). Every score
comes with `Evidence` spans in ORIGINAL-text offsets. See docs/nlp.md, "Lexicon and rule layer".

How a message is read:

1. one scan of the lower-cased normalised text with a precompiled trie regex (longest term wins at each position;
   Chinese terms anywhere, English terms on word boundaries), plus a few regexes for tenses ("投诉了", "I have filed");
2. each content hit (emotion, reason, stage, aspect …) looks back over the modifiers right before it in the same
   clause — negators flip or cancel it, degree adverbs scale it — and forward for a degree suffix ("好得很"); a
   negated complaint ("一点也不差", "没有坏", "不算贵") is recorded as cleared evidence, so the combiner knows how much
   of the message's negative wording was negated (`negated_share`) and which reasons were denied;
3. hits after a contrast marker (但是, 结果, "用两天就…") weigh ×1.4, hits before one ×0.7;
4. aspect words (物流, 客服, 价格 …) become reasons only next to a negative opinion in the same clause;
5. `Normalised.cues` (emoji, emoticons, ！！！, CAPS, elongation) add emotion and intensity.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from aftersales.nlp.lexicons import Lexicons
from aftersales.nlp.normalise import CueKind, Normalised
from aftersales.nlp.rule_index import (
    ASPECT,
    CONTENT,
    CONTRAST,
    DEG,
    EMO,
    EMOTION_CODES,
    EMOTION_SIGN,
    HEDGE,
    INTENS,
    LATIN,
    MODIFIER,
    NEG,
    POLITE,
    PROBLEM,
    REASON,
    REASON_CODES,
    STAGE,
    STAGE_CODES,
    STAGE_RANK,
    SUFFIX,
    URGENCY,
    CompiledLexicons,
)
from aftersales.nlp.types import Evidence

__all__ = ["REASON_CODES", "RuleLayer", "RuleSignals"]

ZH_WINDOW = 3  # characters allowed between a Chinese modifier and its word ("不是很满意": 不是 … 满意)
EN_WINDOW = 12  # the same for English ("not very happy", "don't really like")
ZH_ASPECT_REACH = 10  # characters between an aspect word and its opinion ("客服态度很差")
EN_ASPECT_REACH = 24  # the same for English ("the support team was useless")
CONTRAST_AFTER = 1.4
CONTRAST_BEFORE = 0.7
POLARITY_SCALE = 0.7  # polarity = tanh(scale × net evidence)
NEGATED_PROBLEM_POLARITY = 0.3  # "没有坏": a denied problem reassures a little (polarity +0.3 × its weight)

_CLAUSE = re.compile(r"[,，。.!?！？;；、~～\n…:：()（）]|(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")
_NEG_BEFORE = re.compile(r"(?:不|没|没有|未|别|从未|并未|never |not |n't |haven't |have not )$")
_TIME_FAIL = re.compile(r"用了?[\d一二两三四五六七八九十几半]+(?:天|周|个?星期|个?月|次|回|下)(?:就|不到|后)")
_STAGE_TRIGGER = re.compile(
    r"投诉|举报|起诉|报警|曝光|申诉|反映|打了|打过|拨|filed|reported|contacted|called|phoned|wr[io]te|lodged|submitted|"
    r"opened|raised|started|made|disputed|complained"
)
_PAST = re.compile(r"已|过|already|have|'ve|had")
_RHETORICAL = ("不是", "难道", "不就", "不也", "不会")
_ZH_NEGATOR_CHARS = frozenset("不没别未无")
# Characters a Chinese negation reaches across (copulas, perception verbs, light verbs, quantifiers): "不是很满意",
# "并不觉得好", "没发现问题", "没出过问题", "没一个好的". Any other character belongs to a verb of its own.
_ZH_SCOPE = frozenset("是算会太很那这么得觉感发现出有过见遇碰到任何什啥多大一个也都还再的了用怎样被给让把能可要 ")
_WORD = re.compile(r"[^\W\d_]")  # a letter or a Han character


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
    # Share of the negative wording that negation cancelled, cleared / (cleared + remaining negative evidence), times
    # the share of clauses the lexicon read; 0 when nothing was negated. Character n-gram models read "一点也不差" as
    # "差"; the combiner trusts them less by this.
    negated_share: float = 0.0
    # Reason code → strength of problem statements the message denies ("没有坏" → quality_defect 0.5).
    negated_reasons: dict[str, float] = field(default_factory=lambda: dict.fromkeys(REASON_CODES, 0.0))


class _Acc:
    """Mutable accumulator for one message (kept apart so RuleLayer.signals stays readable)."""

    __slots__ = (
        "cleared",
        "emotion",
        "ev",
        "hedge",
        "high_deg",
        "insult",
        "intens",
        "max_affect",
        "neg",
        "neg_ops",
        "negated_reasons",
        "negations",
        "net",
        "politeness",
        "pos",
        "read_clauses",
        "reasons",
        "stage",
        "strong_reason",
        "urgency",
    )

    def __init__(self) -> None:
        self.emotion = dict.fromkeys(EMOTION_CODES, 0.0)
        self.stage = dict.fromkeys(STAGE_CODES, 0.0)
        self.reasons = dict.fromkeys(REASON_CODES, 0.0)
        self.negated_reasons = dict.fromkeys(REASON_CODES, 0.0)
        self.cleared = 0.0  # strength of complaint wording that negation cancelled
        self.read_clauses: set[int] = set()  # clauses holding at least one content word
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
        self._c = CompiledLexicons(self.lexicons)
        self._names = (
            ["polarity", "intensity", "urgency", "politeness", "negations"]
            + [f"emotion:{c}" for c in EMOTION_CODES]
            + [f"stage:{c}" for c in STAGE_CODES]
            + [f"stage_floor:{c}" for c in STAGE_CODES]
            + [f"reason:{c}" for c in REASON_CODES]
            + ["negated_share"]
            + [f"negated_reason:{c}" for c in REASON_CODES]
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
            sig.negated_share,
            *(sig.negated_reasons[c] for c in REASON_CODES),
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
        coverage = self._coverage(low, bounds, acc.read_clauses) if acc.cleared > 0 else 0.0
        return self._finish(acc, coverage)

    @staticmethod
    def _coverage(low: str, bounds: list[int], read: set[int]) -> float:
        """Share of the message's clauses (with any word in them) that hold a lexicon word: how much the rules read."""
        starts, ends = [0, *(b + 1 for b in bounds)], [*bounds, len(low)]
        spoken = [i for i, (a, b) in enumerate(zip(starts, ends, strict=True)) if _WORD.search(low, a, b)]
        return len(read.intersection(spoken)) / len(spoken) if spoken else 0.0

    # ------------------------------------------------------------------ scanning

    def _scan(self, low: str) -> list[tuple[int, int, str]]:
        """All lexicon hits, ordered by position (non-overlapping within each script)."""
        hits = [(m.start(), m.end(), m.group()) for m in self._c.zh.finditer(low)]
        if self._c.split_shadows and any(t in self._c.split_shadows for _s, _e, t in hits):
            hits = self._unshadow(low, hits)
        if hits and any(t in self._c.neg_tails for _s, _e, t in hits):
            hits = self._resplit(low, hits)
        if LATIN.search(low):
            en = [(m.start(), m.end(), m.group()) for m in self._c.en.finditer(low)]
            if en:
                hits = sorted(hits + en) if hits else en
        return hits

    def _unshadow(self, low: str, hits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Read again what a split shadow covers after its front: "赠品没有问题" is read as 没有问题, a denied problem.

        The front (the thing, 赠品) is masked, offsets kept, so the greedy scan cannot rebuild the missing-part term
        赠品没有 the shadow exists to hide; a thing said to be fine is no complaint topic either.
        """
        chars = list(low)
        for s, _e, term in hits:
            front = self._c.split_shadows.get(term, 0)
            chars[s : s + front] = "\x00" * front
        return [(m.start(), m.end(), m.group()) for m in self._c.zh.finditer("".join(chars))]

    def _resplit(self, low: str, hits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Give back a lexicalised negation that a longer negator swallowed its first character of.

        The scan is greedy, so in "根本不值这个价" the negator "根本不" wins and leaves "值这个价": the complaint
        "不值这个价" is then read as a negated price word. Re-scan from the inner negator and keep the longer term.
        """
        effects, out, i = self._c.effects, [], 0
        while i < len(hits):
            s, e, term = hits[i]
            tail = self._c.neg_tails.get(term)
            m = self._c.zh.match(low, s + tail) if tail else None
            if tail and m and m.end() > e and any(k in CONTENT for k, _c, _w in effects[m.group()]):
                out.append((s, s + tail, term[:tail]))
                out.append((m.start(), m.end(), m.group()))
                i += 1
                while i < len(hits) and hits[i][0] < m.end():
                    i += 1
                continue
            out.append(hits[i])
            i += 1
        return out

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
            if not any(k in CONTENT for k, _c, _w in effs):
                continue
            clause = bisect_right(bounds, s)
            acc.read_clauses.add(clause)
            window = EN_WINDOW if term.isascii() else ZH_WINDOW
            neg_strength, neg_term, softened, deg, notes = 0.0, "", False, 1.0, []
            edge, k, gaps = s, i - 1, ""
            while k >= 0:  # modifiers right before the word, nearest first
                ps, pe, pterm = hits[k]
                kinds = {kk for kk, _c, _w in effects[pterm]}
                if not kinds & MODIFIER or edge - pe > window or bisect_right(bounds, ps) != clause:
                    break
                gaps += low[pe:edge]  # what lies between the modifiers and the word, modifiers left out
                if NEG in kinds and not neg_term and self._scope_broken(low, pe, s, e, deg, term, gaps):
                    break
                for kk, _c, w in effects[pterm]:
                    if kk == NEG and not neg_term:
                        neg_strength, neg_term, softened = w, pterm, deg != 1.0
                    elif kk == DEG and w != 1.0:
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
            if neg_term and neg_term.startswith(_RHETORICAL) and self._question_clause(low, bounds, clause):
                neg_term, neg_strength, notes = "", 0.0, [*notes, f"rhetorical {neg_term}…吗"]  # 这不是骗人吗
            if neg_term:
                acc.negations += 1
                notes.insert(0, f"negated by {neg_term}")
            note = "; ".join(notes)
            if not neg_term and term in self._c.lexneg:  # "不差", "没问题": a negation the scanner read as one word
                acc.cleared += self._c.lexneg[term]
            emotional = any(kind == EMO for kind, _c, _w in effs)
            for kind, code, w in effs:
                if kind == EMO:
                    judged = clause if term not in self._c.swearing else -1  # swearing judges no aspect
                    self._emotion_hit(norm, acc, s, e, judged, code, w, deg, contrast, neg_strength, softened, note)
                elif kind == REASON and neg_term and term not in self._c.keeps:
                    if term in self._c.deniable:  # else a negated topic ("没有安装"): no evidence either way
                        self._negated_reason(norm, acc, s, e, code, w * min(neg_strength, 1.0), note, emotional)
                elif kind == REASON:
                    self._reason_hit(norm, acc, s, e, code, w, min(deg, 1.5) * contrast)
                elif kind == PROBLEM and neg_term:  # "没什么问题": a negated complaint, read like "一点也不差"
                    self._emotion_hit(
                        norm, acc, s, e, clause, "dissatisfaction", w, deg, contrast, neg_strength, softened, note
                    )
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
        for clause, s, e, code, w, term in aspects:
            reach = EN_ASPECT_REACH if term.isascii() else ZH_ASPECT_REACH
            opinion = next((t for c, os_, t in acc.neg_ops if c == clause and abs(os_ - s) <= reach), None)
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
        sign = EMOTION_SIGN[code]
        if neg and sign > 0:  # 不好 / not happy: a mild complaint
            code, value = "dissatisfaction", w * min(deg, 1.5) * min(neg, 1.0) * (0.5 if softened else 0.8)
            sign = -1.0
        elif neg and sign < 0:  # 一点也不差 / not bad: weakly positive, stronger for emphatic negators
            acc.cleared += w * min(neg, 1.0)
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

    @staticmethod
    def _question_clause(low: str, bounds: list[int], clause: int) -> bool:
        """Whether the clause ends as a yes/no question ("…吗？"): with 不是/难道 it is a rhetorical assertion."""
        end = bounds[clause] if clause < len(bounds) else len(low)
        return low[max(0, end - 1) : end] in ("吗", "么", "嘛", "吧")

    def _scope_broken(self, low: str, neg_end: int, s: int, e: int, deg: float, term: str, gaps: str) -> bool:
        """Whether the text between a negator and its word ends the negation ("没两天就坏了", "没见过这么差的")."""
        if term in self._c.swearing:  # an interjection: "睡不着这尼玛…" negates nothing
            return True
        if not term.isascii() and not _ZH_SCOPE.issuperset(gaps):  # "不明白有些傻逼": 不 negates 明白
            return True
        gap = low[neg_end:s]
        if self._c.breaks.search(gap + term[:1]):  # "没有就降价": 就 starts a new predicate
            return True
        if gap.strip() and term[:1] in _ZH_NEGATOR_CHARS:  # "不甜不脆不好": the first 不 belongs to 甜, not 不好
            return True
        return deg != 1.0 and ("过" in gap or low.startswith("过", e))  # never seen / never been this bad

    def _negated_reason(
        self, norm: Normalised, acc: _Acc, s: int, e: int, code: str, w: float, note: str, emotional: bool
    ) -> None:
        """A denied problem ("没有坏", "不算贵", "nothing was missing"): counter-evidence, not a reason."""
        acc.negated_reasons[code] += w
        if emotional:  # the flipped emotion word already counted as cleared evidence and as polarity
            return
        acc.cleared += w
        acc.polar(NEGATED_PROBLEM_POLARITY * w, self._ev(norm, s, e, "lexicon", w, f"{note}; denies {code}"))

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
                if EMOTION_SIGN[code]:
                    acc.polar(EMOTION_SIGN[code] * 0.8, ev)
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

    def _finish(self, acc: _Acc, coverage: float = 0.0) -> RuleSignals:
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
        # How much of the complaint wording was negated, scaled by how much of the message the lexicon read at all:
        # in a long review whose other clauses hold no known word, the rules' "it was all negated" is a guess.
        negated_share = coverage * acc.cleared / (acc.cleared + acc.neg) if acc.cleared > 0 else 0.0
        return RuleSignals(
            emotion=_rounded(acc.emotion),
            polarity=round(math.tanh(POLARITY_SCALE * acc.net), 4),
            intensity=round(intensity, 3),
            stage=_rounded(stage),
            stage_floor=floor,
            reasons=_rounded(acc.reasons),
            evidence={k: tuple(v) for k, v in acc.ev.items()},
            urgency=round(acc.urgency, 3),
            politeness=round(acc.politeness, 3),
            negations=acc.negations,
            negated_share=round(negated_share, 4),
            negated_reasons=_rounded(acc.negated_reasons),
        )


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    """Scores to 4 decimals; most are zero, and skipping round() on those is a tenth of the rule layer's time."""
    return {k: round(v, 4) if v else 0.0 for k, v in scores.items()}


def stage_at_least(stage: str, floor: str) -> str:
    """The later of two stages in the complaint-stage order (apply the rule floor to a model's stage)."""
    return stage if STAGE_RANK.get(stage, 0) >= STAGE_RANK.get(floor, 0) else floor
