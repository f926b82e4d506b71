"""Text normalisation: one canonical form for every downstream model, with a map back to what the customer wrote.

``normalise(text)`` does, in this order (see docs/nlp.md, "Normalisation and PII masking"):

1. lone surrogates → U+FFFD (so the text can always be encoded), full-width ASCII (U+FF01–FF5E), ``￥`` and
   the small-form variants → their ASCII/half-width forms; CJK punctuation (``。、「」……``) is kept as written,
   because it carries cues (``。。。``) that NFKC would flatten;
2. control and invisible format characters (zero-width space, BOM, bidi marks; *not* the ZWJ that joins emoji) are
   removed; every whitespace run becomes one space, or one newline when the run held a line break; the ends are
   stripped;
3. traditional → simplified Chinese with OpenCC ``t2s`` (character-for-character, so offsets survive);
4. language by script ratios, and cues (emoji, emoticons, repeated punctuation, ALL CAPS, elongation) as signals.

Every step either keeps a character's position or deletes/collapses whole runs, so the normalised text maps back to
the original through a short list of segments (``Normalised.to_original``): evidence found in the normalised text is
highlighted in the original.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from aftersales.vocab import Emotion, Language

if TYPE_CHECKING:
    from opencc import OpenCC

__all__ = ["Cue", "CueKind", "Normalised", "detect_language", "find_cues", "fold_width", "normalise", "normalised_text"]

# ---------------------------------------------------------------------------------------------------------------
# Step 1: width folding (length-preserving)

_FOLD: dict[int, int] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # ！→!  Ａ→A  ０→0  ，→,  ～→~
_FOLD.update({cp: 0xFFFD for cp in range(0xD800, 0xE000)})  # lone surrogates cannot be encoded: make them visible
_FOLD.update({0xFFE0: 0xA2, 0xFFE1: 0xA3, 0xFFE2: 0xAC, 0xFFE3: 0xAF, 0xFFE4: 0xA6, 0xFFE5: 0xA5, 0xFFE6: 0x20A9})
_FOLD.update({0xFF61: 0x3002, 0xFF62: 0x300C, 0xFF63: 0x300D, 0xFF64: 0x3001})  # half-width CJK punctuation
_FOLD.update({0xFE50 + i: ord(c) for i, c in enumerate(",、.\0;:?!\0()\0\0\0\0#&*+-<>=\0\\$%@") if c != "\0"})


_FOLDABLE = re.compile("[\uff01-\uff5e\uffe0-\uffe6\uff61-\uff64\ufe50-\ufe6b\ud800-\udfff]")
# str.translate pays a dict lookup per character; the few full-width marks common in Chinese text are replaced
# first with str.replace (C speed), and translate runs only when something rarer is left.
_COMMON_FOLDS = tuple((c, chr(_FOLD[ord(c)])) for c in "，！？：（）；～")


def fold_width(text: str) -> str:
    """Fold full-width ASCII and replace lone surrogates, keeping every character's position."""
    if text.isascii():
        return text
    for wide, narrow in _COMMON_FOLDS:
        if wide in text:
            text = text.replace(wide, narrow)
    return text.translate(_FOLD) if _FOLDABLE.search(text) else text


# ---------------------------------------------------------------------------------------------------------------
# Step 2: invisible characters and whitespace (deletions and collapses, recorded as segments)

# C0/C1 controls that are not whitespace, soft hyphen, Arabic letter mark, Mongolian vowel separator, zero-width
# space/non-joiner, LRM/RLM, bidi embeddings/isolates, word joiner and invisible operators, BOM, interlinear
# annotation marks. U+200D (ZWJ) and variation selectors stay: they are part of emoji sequences.
_IGNORABLE = (
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\xad\u061c\u180e\u200b\u200c\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_GAP = re.compile(f"[\\s{_IGNORABLE}]+")
_OTHER_WHITESPACE = "\t\n\v\f\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # \\s minus " "
_NEEDS_GAP = re.compile(f"[{_OTHER_WHITESPACE}{_IGNORABLE}]")
_WHITESPACE = re.compile(r"\s")
_LINE_BREAK = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


# A segment maps normalised [ns, ns + nl) to original [os, os + ol): either 1:1 (nl == ol) or a collapsed
# whitespace run (nl == 1, ol >= 1). Deleted characters belong to no segment.
Segment = tuple[int, int, int, int]


def _squeeze(text: str) -> tuple[str, tuple[Segment, ...]]:
    """Delete invisible characters, collapse whitespace runs and strip the ends, recording the segments."""
    n = len(text)
    if not _NEEDS_GAP.search(text) and "  " not in text and not text.startswith(" ") and not text.endswith(" "):
        return text, ((0, n, 0, n),) if n else ()
    pieces: list[str] = []
    segments: list[Segment] = []
    out = pos = 0
    for match in _GAP.finditer(text):
        start, end = match.span()
        gap = match.group()
        if gap == " " and start > 0 and end < n:
            continue  # a single inner space is already normal: leave it inside the copied run
        if start > pos:
            pieces.append(text[pos:start])
            segments.append((out, start - pos, pos, start - pos))
            out += start - pos
        if start > 0 and end < n and _WHITESPACE.search(gap):
            pieces.append("\n" if _LINE_BREAK.search(gap) else " ")
            segments.append((out, 1, start, end - start))
            out += 1
        pos = end
    if pos < n:
        pieces.append(text[pos:])
        segments.append((out, n - pos, pos, n - pos))
    return "".join(pieces), tuple(segments)


# ---------------------------------------------------------------------------------------------------------------
# Step 3: traditional → simplified


@cache
def _t2s() -> OpenCC:
    """Load OpenCC's t2s converter once (its dictionaries ship inside the wheel: no download)."""
    from opencc import OpenCC

    return OpenCC("t2s")


_HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def _to_simplified(text: str) -> str:
    """Convert traditional to simplified Chinese without changing the length (offsets depend on it)."""
    if text.isascii():
        return text
    converted = str(_t2s().convert(text))
    if len(converted) == len(text):
        return converted
    # OpenCC's t2s tables are 1:1 today; if a future table maps a phrase to another length, convert each Han
    # character alone there rather than lose the offset map.
    convert = _t2s().convert

    def per_char(m: re.Match[str]) -> str:
        return "".join(c if len(c2 := str(convert(c))) != 1 else c2 for c in m.group())

    return _HAN_RUN.sub(per_char, text)


# ---------------------------------------------------------------------------------------------------------------
# Step 4a: language by script ratios

_HAN_CHARS = _HAN_RUN
_LATIN_WORD = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+")
_LETTERS = re.compile(r"[^\W\d_]+")
_ACCENTED = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")

# Units: one Han character ≈ one unit, one Latin word ≈ two (a word carries about as much as a two-character
# Chinese word), any other letter (kana, hangul, Cyrillic, ...) one. Shares are of the total units.
ZH_SHARE = 0.8  # Han share at or above this → zh
EN_SHARE = 0.8  # Latin share at or above this → en (unless the stopwords say another Latin-script language)
OTHER_SHARE = 0.3  # other-script share at or above this → other
_LATIN_WORD_UNITS = 2

# Frequent English function words and review words; a Latin-script text with none of them is not taken as English.
# Left out because Portuguese/Spanish use them as much: a, as, do, me, no, so.
_EN_WORDS = frozenset(
    """the an and is are was were am i you he she we they it its my your our this that these those not
    to of in for on at by from with about into after before than then too very just only also have has had
    be been being did does done don't can't won't isn't it's i'm but or if what when why how where which who
    can could will would should may might must please thanks thank hi hello dear sorry yes ok okay good great
    nice bad poor terrible awful love like hate happy sad angry disappointed excellent fine best worst still yet
    order ordered item items product refund return returned received arrived delivery delivered package shipping
    money back broken damaged wrong missing late slow fast quality price service customer support help want need
    get got one two all any some more most much many never ever again there here now day days week someone
    anyone available issue issues problem account contact change cancel address payment invoice track status
    information number email phone call send see file make take give know tell ask request complaint bill""".split()  # noqa: SIM905
)
# Frequent Spanish / Portuguese / French / German / Italian / Dutch words that are not English words.
_FOREIGN_WORDS = frozenset(
    """o e de el la los las que y por para una uno es está están muy pero con del al su sus mi mis lo se le les nos
    producto llegó bien mal gracias todo nada hasta cuando porque compra pedido
    não nao um uma com da dos das ao aos foi mais muito muita produto entrega entregue chegou chegaram recebi
    ainda já até você eu meu minha bem bom boa ótimo otimo prazo compra tudo nem em ele ela isso esse essa
    loja recomendo veio pedido qualidade antes depois pra pq ou sem são só também aqui agora dia dias nota
    et est pas une du des je très avec pour sur mais ne il elle nous vous produit reçu livraison
    und ist nicht der das ein eine ich mit sehr auch auf für sie wir war aber noch
    il di che non sono molto della delle questo questa grazie prodotto
    het een niet ik zijn maar voor van dat wel""".split()  # noqa: SIM905
)


def detect_language(text: str) -> Language:
    """Guess zh / en / mixed / other from script ratios (thresholds above), for routing to the right models."""
    if text.isascii():
        han, rest = 0, text
    else:
        # Han runs become one space each (so Latin words on either side stay apart); count the removed characters.
        rest, runs = _HAN_CHARS.subn(" ", text)
        han = len(text) - len(rest) + runs
    words = _LATIN_WORD.findall(rest)
    latin_letters = sum(map(len, words))
    letters = len(rest) - len(_LETTERS.sub("", rest))
    other = max(letters - latin_letters, 0)
    latin = len(words) * _LATIN_WORD_UNITS
    total = han + latin + other
    if total == 0:
        return Language.OTHER
    if other / total >= OTHER_SHARE:
        return Language.OTHER
    if han / total >= ZH_SHARE:
        return Language.ZH
    if latin / total >= EN_SHARE:
        return _english_or_other(words)
    if han and latin:
        return Language.MIXED
    return Language.ZH if han else Language.OTHER


def _english_or_other(words: list[str]) -> Language:
    """Tell English from other Latin-script languages by a cheap word vote (Portuguese reviews, Spanish, ...)."""
    lowered = [w.lower() for w in words]
    english = sum(w in _EN_WORDS for w in lowered)
    foreign = sum(w in _FOREIGN_WORDS for w in lowered)
    accented = _ACCENTED.search(" ".join(words)) is not None
    if foreign > english or (accented and foreign and foreign >= english):
        return Language.OTHER
    if english == 0 and (len(words) >= 4 or accented):
        return Language.OTHER  # four or more Latin words and not one common English word, or accents
    return Language.EN


# ---------------------------------------------------------------------------------------------------------------
# Step 4b: cues


class CueKind(StrEnum):
    """What kind of signal a cue is; EMOJI/EMOTICON carry an emotion, the others intensity."""

    EMOJI = "emoji"  # value: an Emotion code
    EMOTICON = "emoticon"  # value: an Emotion code (``:(``, ``T_T``, ``orz``, ``[怒]`` ...)
    REPEATED_PUNCT = "repeated_punct"  # value: "!", "?", "!?" or "…"
    ALL_CAPS = "all_caps"  # value: "caps"
    ELONGATION = "elongation"  # value: the repeated character, lower-cased


@dataclass(frozen=True, slots=True)
class Cue:
    """A signal kept from the surface of the text; ``span`` is in normalised-text offsets."""

    kind: CueKind
    value: str
    span: tuple[int, int]

    @property
    def emotion(self) -> Emotion | None:
        """The emotion an emoji or emoticon stands for, else None."""
        return Emotion(self.value) if self.kind in (CueKind.EMOJI, CueKind.EMOTICON) else None

    @property
    def is_intensity(self) -> bool:
        """Whether this cue raises intensity rather than naming an emotion."""
        return self.kind in (CueKind.REPEATED_PUNCT, CueKind.ALL_CAPS, CueKind.ELONGATION)


_EMOJI_BY_EMOTION: dict[Emotion, str] = {
    Emotion.ANGER: "😡🤬💢😠👿😤🖕",
    Emotion.DISSATISFACTION: "🙄😒😑😓👎💩🤮🤢😾",
    Emotion.DISAPPOINTMENT: "😭😢😞😔☹🙁💔😩😫😿🥲😪",
    Emotion.ANXIETY: "😰😟😥😨😱😧😦😬🥺",
    Emotion.SATISFACTION: "👍😊🙂😀😃😄😁😆🥰😍❤💕💖💯👌🎉🤩😘☺👏",
    Emotion.GRATITUDE: "🙏🌹💐🤝",
    Emotion.RELIEF: "😌",
}
# Deliberately unmapped: 😂🤣😅 (in Chinese chat they are as often helpless or sarcastic as happy), ⭐ (ratings).
_EMOJI: dict[str, Emotion] = {ch: emotion for emotion, chars in _EMOJI_BY_EMOTION.items() for ch in chars}
_EMOJI_RE = re.compile("[" + "".join(_EMOJI) + "][\ufe0f\U0001f3fb-\U0001f3ff]*")

_NOT_WORD_BEFORE = r"(?<![A-Za-z0-9_])"
_NOT_WORD_AFTER = r"(?![A-Za-z0-9_])"
_EMOTICONS: dict[Emotion, str] = {
    Emotion.ANGER: r">:-?\(|\(╯.{1,4}[）)]╯︵ ?┻━┻|┻━┻|(?<![凹\u4e00-\u9fff])凸(?![\u4e00-\u9fff])",
    Emotion.DISSATISFACTION: r"-_-[|#]*|-\.-|=_=|=\.=|>_<",
    Emotion.DISAPPOINTMENT: (
        rf":'-?\(|:-?\((?!\w)|;_;|{_NOT_WORD_BEFORE}(?:T_T|T\.T|ToT|QAQ|QwQ|qaq|orz|Orz|OTZ|ORZ){_NOT_WORD_AFTER}|囧"
    ),
    Emotion.SATISFACTION: r"(?<![\w:/]):-?[)D](?!\w)|\^_?\^|\^o\^|\(\*\^▽\^\*\)",
}
_BRACKETED: dict[str, Emotion] = {
    **dict.fromkeys(("怒", "发怒", "生气", "抓狂", "怒骂", "愤怒"), Emotion.ANGER),
    **dict.fromkeys(("鄙视", "撇嘴", "白眼", "弱", "哼", "吐", "无语", "汗"), Emotion.DISSATISFACTION),
    **dict.fromkeys(("哭", "大哭", "流泪", "泪", "委屈", "伤心", "可怜", "衰", "失望", "心碎"), Emotion.DISAPPOINTMENT),
    **dict.fromkeys(("惊恐", "害怕", "紧张", "恐惧"), Emotion.ANXIETY),
    **dict.fromkeys(("赞", "强", "good", "耶", "爱心", "心", "哈哈", "开心", "憨笑"), Emotion.SATISFACTION),
    **dict.fromkeys(("抱拳", "谢谢", "感谢", "合十"), Emotion.GRATITUDE),
}
_EMOTICON_RE = re.compile(
    "|".join(f"(?P<{emotion.value}>{pattern})" for emotion, pattern in _EMOTICONS.items())
    + r"|\[(?P<bracketed>"
    + "|".join(sorted(_BRACKETED, key=len, reverse=True))
    + r")\]"
)
# Every emoticon above contains one of these two-character openings, a table-flip/凸/囧/bracket, or a word below.
_EMOTICON_PRE = re.compile(r"[:;=_^][-'()D_^;=T.<o▽]")
_EMOTICON_PRE2 = re.compile(r"[┻凸囧\[]")
_EMOTICON_WORDS = ("-.-", "T.T", "ToT", "QAQ", "QwQ", "qaq", "orz", "Orz", "OTZ", "ORZ")
_EMOJI_PRE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf]")
_PUNCT_PRE = re.compile(r"[!?。.…⋯][!?。.…⋯]")
_CAPS_PRE = re.compile(r"[A-Z][A-Z]")
_TRIPLE = re.compile(r"(.)\1\1")

_PUNCT_RE = re.compile(r"[!?]{2,}|。{2,}|\.{3,}|…{3,}|⋯{3,}")
_CAPS_RE = re.compile(r"(?<![A-Za-z<_])[A-Z]{2,}(?:'[A-Z]+)?(?:[ ]+[A-Z]{2,}(?:'[A-Z]+)?)*(?![A-Za-z>_])")
# Acronyms, carriers, product words and brands written in capitals that are not shouting.
_NOT_SHOUTING_WORDS = (
    "OK ID TV PC QR SMS COD ETA RMA AWB DHL UPS USPS FEDEX TNT EMS SF JD SKU USB HDMI LED LCD OLED CPU GPU RAM "
    "SSD HDD APP APPS IOS PDF FAQ DIY NFC GPS WIFI VIP CEO ATM URL HTTP HTTPS WWW API SIM PS XL XXL XS NBA "
    "APPLE NIKE ADIDAS PUMA HUAWEI XIAOMI OPPO VIVO SAMSUNG SONY DELL LENOVO CANON NIKON UNIQLO ZARA IKEA LEGO "
    "DYSON PHILIPS MIDEA HAIER GREE ASUS ACER HP LG MSI BOSE JBL ANTA LINING"
)
_NOT_SHOUTING = frozenset(_NOT_SHOUTING_WORDS.split())
_HAN_ELONGATION = re.compile(r"([\u4e00-\u9fff])\1{2,}")
_LATIN_ELONGATION = re.compile(r"(?<![A-Za-z])[A-Za-z]*?([A-Za-z])\1{2,}[A-Za-z]*")


def find_cues(text: str, language: Language | None = None) -> tuple[Cue, ...]:
    """Find emotion and intensity cues in normalised text, ordered by position."""
    # Each family is guarded by a cheap pre-check (a character-class search runs at C speed; the full patterns,
    # with alternations and look-behinds, cost ten times more and rarely match).
    cues: list[Cue] = []
    ascii_only = text.isascii()
    if not ascii_only and _EMOJI_PRE.search(text):
        cues += [Cue(CueKind.EMOJI, _EMOJI[m.group()[0]].value, m.span()) for m in _EMOJI_RE.finditer(text)]
    if _EMOTICON_PRE.search(text) or _EMOTICON_PRE2.search(text) or any(e in text for e in _EMOTICON_WORDS):
        for m in _EMOTICON_RE.finditer(text):
            group = m.lastgroup
            value = _BRACKETED[m.group(group)].value if group == "bracketed" else group
            if value is not None:
                cues.append(Cue(CueKind.EMOTICON, value, m.span()))
    if _PUNCT_PRE.search(text):
        for m in _PUNCT_RE.finditer(text):
            run = m.group()
            value = "…" if run[0] in "。.…⋯" else ("!?" if "!" in run and "?" in run else run[0])
            cues.append(Cue(CueKind.REPEATED_PUNCT, value, m.span()))
    # Capitals are shouting only in Latin-script text; in Chinese text they are product names (VISTA, GPRS, ...).
    if _CAPS_PRE.search(text) and (language or detect_language(text)) in (Language.EN, Language.OTHER):
        for m in _CAPS_RE.finditer(text):
            words = [w for w in m.group().split() if w not in _NOT_SHOUTING]
            letters = sum(len(w) for w in words)
            if (len(words) >= 2 and letters >= 6) or (len(words) == 1 and letters >= 4):
                cues.append(Cue(CueKind.ALL_CAPS, "caps", m.span()))
    triple = _TRIPLE.search(text) is not None
    if triple and not ascii_only:
        cues += [Cue(CueKind.ELONGATION, m.group(1), m.span()) for m in _HAN_ELONGATION.finditer(text)]
    if triple:
        for m in _LATIN_ELONGATION.finditer(text):
            char = m.group(1).lower()
            # A tripled vowel is emphasis (sooo, pleeease); a tripled consonant is more often a typo (addresss),
            # so consonants need four. Not: www, xxx placeholders, roman III.
            if (char in "aeiouy" or char * 4 in m.group().lower()) and char not in "wx" and m.group().strip("Ii"):
                cues.append(Cue(CueKind.ELONGATION, char, m.span()))
    cues.sort(key=lambda c: c.span)
    return tuple(cues)


# ---------------------------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text with its language, its cues and the way back to the original text."""

    original: str
    text: str
    language: Language
    cues: tuple[Cue, ...]
    segments: tuple[Segment, ...] = field(repr=False)
    _starts: tuple[int, ...] = field(repr=False, compare=False)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text to the span of the original text it came from."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) outside the normalised text of length {len(self.text)}")
        if not self.segments:
            return 0, 0
        first = self._locate(start)
        if start == end:
            return first, first
        ns, nl, os_, ol = self.segments[bisect_right(self._starts, end - 1) - 1]
        last = os_ + ol if nl != ol else os_ + (end - ns)
        return first, last

    def _locate(self, pos: int) -> int:
        """Original offset where the normalised character at ``pos`` starts (end of text for ``pos == len``)."""
        if pos == len(self.text):
            ns, nl, os_, ol = self.segments[-1]
            return os_ + ol
        ns, nl, os_, ol = self.segments[bisect_right(self._starts, pos) - 1]
        return os_ if nl != ol else os_ + (pos - ns)

    def original_text(self, start: int, end: int) -> str:
        """The original text behind a span of the normalised text (for evidence highlighting)."""
        a, b = self.to_original(start, end)
        return self.original[a:b]

    def offset_map(self) -> list[int]:
        """Original start offset of every normalised character, plus the original end (strictly increasing)."""
        out: list[int] = []
        for _ns, nl, os_, ol in self.segments:
            out.extend([os_] if nl != ol else range(os_, os_ + nl))
        out.append(self._locate(len(self.text)) if self.segments else 0)
        return out


def normalised_text(text: str) -> str:
    """`normalise(text).text` alone: de-duplication keys need the text, not its language, cues or offset map.

    Why: keying every corpus (262,000 texts in `train.load_splits`) spent most of its time finding cues and
    detecting languages it then threw away. The same three steps as `normalise`, so the same text.
    """
    return _to_simplified(_squeeze(fold_width(text))[0])


def normalise(text: str) -> Normalised:
    """Normalise a message (width, invisibles, whitespace, t2s), detect its language and keep its cues."""
    squeezed, segments = _squeeze(fold_width(text))
    simplified = _to_simplified(squeezed)
    language = detect_language(simplified)
    return Normalised(
        original=text,
        text=simplified,
        language=language,
        cues=find_cues(simplified, language),
        segments=segments,
        _starts=tuple(s[0] for s in segments),
    )
