"""PII masking: phone numbers, ID cards, e-mail, bank cards, addresses and names become stable placeholders.

Precision first: agents need order numbers, so a long digit string is masked only when it passes the check of its
kind (ID-card checksum and birth date, Luhn plus an issuer prefix for bank cards, the mainland mobile pattern) and
is not introduced as an order/tracking number. Placeholders are fixed ASCII tokens (``<PHONE>``, ``<ID_CARD>``,
...), the same in every locale, so stored text, models and exports see one vocabulary; ``PiiKind.label`` gives a
display name per locale. Spans are offsets into the *input* text and never carry the masked value itself.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum

from aftersales.nlp.normalise import Normalised, fold_width

__all__ = ["PII_HINT", "PLACEHOLDERS", "Masked", "PiiKind", "PiiSpan", "mask_pii", "original_spans"]

# A cheap superset of what every detector below needs (RE2-compatible, for vectorised pre-filtering of many texts):
# a text this does not match holds no PII that mask_pii would find. tests/unit/nlp/test_pii.py checks the superset.
PII_HINT = (
    r"[0-9]{5}|[0-9]{3,4}[ -][0-9]{3,4}|@|[0-9一二三四五六七八九十零〇两A-Za-z](?:号|栋|幢|座|单元|室|房|楼|层|弄|#)"
    r"|[0-9]-[0-9]{1,2}-[0-9]|[0-9] [A-Z][a-z]+ |我叫|名字|收件人|收货人|联系人|寄件人|持卡人|姓名|户名"
    r"|[Qq][Qq]|[VvWw][Xx]|[Ww][Ee][Cc][Hh][Aa][Tt]|扣扣|微信"
)


class PiiKind(StrEnum):
    """Kinds of personal data that are masked."""

    MOBILE = "mobile"
    LANDLINE = "landline"
    ID_CARD = "id_card"
    EMAIL = "email"
    BANK_CARD = "bank_card"
    ADDRESS = "address"
    NAME = "name"
    IM_ACCOUNT = "im_account"

    def label(self, locale: str = "zh-CN") -> str:
        """Display name for a locale (zh-* → Chinese, anything else → English)."""
        zh, en = _PII_LABELS[self]
        return zh if locale.lower().startswith("zh") else en


_PII_LABELS: dict[PiiKind, tuple[str, str]] = {
    PiiKind.MOBILE: ("手机号", "mobile number"),
    PiiKind.LANDLINE: ("座机号", "landline number"),
    PiiKind.ID_CARD: ("身份证号", "ID card number"),
    PiiKind.EMAIL: ("邮箱", "e-mail address"),
    PiiKind.BANK_CARD: ("银行卡号", "bank card number"),
    PiiKind.ADDRESS: ("地址", "street address"),
    PiiKind.NAME: ("姓名", "personal name"),
    PiiKind.IM_ACCOUNT: ("QQ/微信号", "QQ / WeChat account"),
}

PLACEHOLDERS: dict[PiiKind, str] = {
    PiiKind.MOBILE: "<PHONE>",
    PiiKind.LANDLINE: "<PHONE>",
    PiiKind.ID_CARD: "<ID_CARD>",
    PiiKind.EMAIL: "<EMAIL>",
    PiiKind.BANK_CARD: "<BANK_CARD>",
    PiiKind.ADDRESS: "<ADDRESS>",
    PiiKind.NAME: "<NAME>",
    PiiKind.IM_ACCOUNT: "<ACCOUNT>",
}
# When two candidates overlap, the more specific (better validated) kind wins.
_PRIORITY = {kind: rank for rank, kind in enumerate(PLACEHOLDERS)}
_PRIORITY.update({PiiKind.EMAIL: -3, PiiKind.ID_CARD: -2, PiiKind.BANK_CARD: -1})


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One masked stretch: ``[start, end)`` of the input text was replaced by ``replacement``."""

    kind: PiiKind
    start: int
    end: int
    replacement: str


@dataclass(frozen=True, slots=True)
class Masked:
    """Masked text and what was masked (offsets into the input text, ordered)."""

    text: str
    spans: tuple[PiiSpan, ...]

    def kinds(self) -> set[PiiKind]:
        """The kinds of PII found."""
        return {s.kind for s in self.spans}


# ---------------------------------------------------------------------------------------------------------------
# Numbers

_ORDER_CUE = re.compile(
    r"(?:订单|单号|运单|快递单|物流单|退货单|退款单|售后单|工单|(?<![a-z])(?:order|tracking|waybill|invoice|shipment|sku))"
    r"\s*(?:号码|编号|号|no\.?|number|id|#)?\s*(?:是|为)?\s*[:：#=]?\s*$",
    re.IGNORECASE,
)
_MOBILE = re.compile(r"(?<![0-9+])(?:(?:\+|00)?86[ -]?|\(\+?86\)[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
_LANDLINE = re.compile(
    r"(?<![0-9])(?:\(0[1-9][0-9]{1,2}\)[ -]?|0[1-9][0-9]{1,2}[ -])[2-9][0-9]{6,7}"
    r"(?:(?:-|转|ext\.? ?)[0-9]{1,6})?(?![0-9])"
)
_ID18 = re.compile(
    r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9])"
)
_ID15 = re.compile(r"(?<![0-9])[1-9][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}(?![0-9])")
_ID15_CUE = re.compile(r"(?:身份证|证件|id\s*card|id\s*no|identity)", re.IGNORECASE)
_BANK = re.compile(
    r"(?<![0-9])(?:[0-9]{4}[ -]){3}[0-9]{4}(?:[ -]?[0-9]{1,3})?(?![0-9])|(?<![0-9])[0-9]{16,19}(?![0-9])"
)
# Province-level codes that begin every resident ID number.
_PROVINCES = frozenset(
    str(code)
    for block in (range(11, 16), range(21, 24), range(31, 38), range(41, 47), range(50, 55), range(61, 66))
    for code in block
) | {"71", "81", "82", "83"}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_DIGITS3 = re.compile(r"[0-9]{3}")


def _id18_ok(number: str) -> bool:
    """ISO 7064 MOD 11-2 checksum of a PRC resident ID plus a real province code."""
    if number[:2] not in _PROVINCES:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def _luhn_ok(digits: str) -> bool:
    """Luhn checksum, the one every payment card number carries."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _bank_ok(digits: str) -> bool:
    """A plausible card: 16–19 digits, a known issuer prefix for that length, and Luhn."""
    n = len(digits)
    if not 16 <= n <= 19:
        return False
    if digits.startswith("62") or digits.startswith(("9558", "9559")):  # UnionPay and legacy domestic cards
        pass
    elif n == 16 and (digits[0] == "4" or "51" <= digits[:2] <= "55" or "2221" <= digits[:4] <= "2720"):
        pass  # Visa, Mastercard
    elif n == 16 and ("3528" <= digits[:4] <= "3589" or digits.startswith(("6011", "65"))):
        pass  # JCB, Discover
    else:
        return False
    return _luhn_ok(digits)


def _after_order_cue(text: str, start: int) -> bool:
    """Whether the number at ``start`` is introduced as an order/tracking number (then it is not PII)."""
    return _ORDER_CUE.search(text, max(0, start - 24), start) is not None


def _numbers(text: str) -> Iterator[tuple[PiiKind, int, int]]:
    """Candidate phone, ID and bank-card numbers that pass their checks."""
    for m in _ID18.finditer(text):
        if _id18_ok(m.group()) and not _after_order_cue(text, m.start()):
            yield PiiKind.ID_CARD, m.start(), m.end()
    for m in _ID15.finditer(text):
        if m.group()[:2] in _PROVINCES and _ID15_CUE.search(text, max(0, m.start() - 16), m.start()):
            yield PiiKind.ID_CARD, m.start(), m.end()
    for m in _BANK.finditer(text):
        digits = m.group().replace(" ", "").replace("-", "")
        if _bank_ok(digits) and not _after_order_cue(text, m.start()):
            yield PiiKind.BANK_CARD, m.start(), m.end()
    for m in _MOBILE.finditer(text):
        if not _after_order_cue(text, m.start()):
            yield PiiKind.MOBILE, m.start(), m.end()
    for m in _LANDLINE.finditer(text):
        if not _after_order_cue(text, m.start()):
            yield PiiKind.LANDLINE, m.start(), m.end()


# ---------------------------------------------------------------------------------------------------------------
# E-mail and IM accounts

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9\-])"
)
_IM = re.compile(
    r"(?:(?<![A-Za-z])(?i:qq)|扣扣)\s*(?:号码|号)?\s*[:：]?\s*(?P<qq>[1-9][0-9]{4,10})(?![0-9])"
    r"|(?:微信|(?<![A-Za-z])(?i:vx|wx|wechat)(?![A-Za-z]))\s*(?:号|id)?\s*[:：]?\s*"
    r"(?P<wx>[A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])"
)
_IM_PRE = re.compile("[QqVvWw扣微]")  # a class search is ten times cheaper than the alternation below
_IM_TRIGGER = re.compile(r"[Qq][Qq]|[VvWw][Xx]|[Ww][Ee][Cc][Hh][Aa][Tt]|扣扣|微信")

# ---------------------------------------------------------------------------------------------------------------
# Addresses (Chinese administrative divisions + road/number or compound + building/unit/room; English street lines)

# A place-name character: Han, but not the function words and verbs that surround addresses in a sentence, so a
# match starts at the place name rather than at "我家在..." or "寄到...".
_NOT_PLACE = "我你他她它的是了在到寄送往给把从请帮址住收货电话码号要想说就都也还吗呢吧啊和与及或有位于这那个"
_NC = f"(?:(?![{_NOT_PLACE}])[\u4e00-\u9fff])"
_NUM = "(?:[0-9]+|[一二三四五六七八九十百零〇两]+)"
_BNUM = "(?:[0-9]{1,4}|[一二三四五六七八九十]{1,3}|[A-Za-z])"
_PROVINCE = (
    "(?:北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|"
    "云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门)(?:省|市|(?:壮族|回族|维吾尔)?自治区|特别行政区)?"
)
_ADMIN = (
    f"(?:{_PROVINCE})?(?:{_NC}{{1,6}}?(?:市|自治州|地区|盟))?(?:{_NC}{{1,6}}?(?:区|县|旗))?"
    f"(?:{_NC}{{1,6}}?(?:镇|乡|街道))?"
)
_ROAD = f"{_NC}{{1,8}}?(?:大道|大街|路|街|巷|胡同)(?:{_NUM}弄)?{_NUM}号(?:院)?"
_COMPOUND = f"{_NC}{{1,10}}?(?:小区|花园|公寓|大厦|广场|家园|新村|苑|园|城|村|中心|大楼|社区|公馆|山庄)"
# "一座四层小楼" is "a four-storey building": 座 and # take only Arabic numerals or a letter.
_B = "(?:[0-9]{1,4}|[A-Za-z])(?:号楼|栋|幢|座|#楼|#)|[一二三四五六七八九十]{1,3}(?:号楼|栋|幢)"
_U = f"{_BNUM}单元"
_F = f"{_NUM}(?:楼|层)"
_R = f"{_NUM}(?:室|号房)"  # not 房 alone: "2房2厅" is a flat's layout
_R_BARE = "(?:[0-9]{3,4}(?![0-9])(?:室|号房)?)"
_R_ANY = f"(?:{_R}|{_R_BARE})"
# One or more of building / unit / floor / room, in that order, e.g. 5栋2单元301室, A座1001, 3-2-301.
_DETAIL = (
    f"(?:(?:{_B})(?:{_U})?(?:{_F})?{_R_ANY}?|{_U}(?:{_F})?{_R_ANY}?|{_F}{_R_ANY}?|{_R}"
    "|[0-9]{1,3}-[0-9]{1,2}-[0-9]{3,4}(?![0-9]))"
)
# Two or more components when nothing else anchors the match (a lone "3楼" or "5栋" is not an address).
_DETAIL2 = f"(?:(?:{_B})(?:{_U}(?:{_F})?{_R_ANY}?|{_F}{_R_ANY}?|{_R_ANY})|{_U}(?:{_F}{_R_ANY}?|{_R_ANY})|{_F}{_R})"
# After a compound name a floor alone is not enough ("东苑一楼" is where breakfast is served).
_DETAIL_C = f"(?:(?:{_B})(?:{_U})?(?:{_F})?{_R_ANY}?|{_U}(?:{_F})?{_R_ANY}?|(?:{_F})?{_R})"
_ADDRESS = re.compile(
    f"{_ADMIN}(?:{_ROAD}(?:(?:{_COMPOUND})?{_DETAIL})?|{_COMPOUND}{_DETAIL_C}|{_DETAIL2})"
    r"|(?<![A-Za-z0-9])[0-9]{1,5}(?: [A-Z][a-z]+){1,3} (?:St|Street|Rd|Road|Ave|Avenue|Blvd|Boulevard|Ln|Lane|Dr"
    r"|Drive|Ct|Court|Way|Pl|Place)\b\.?(?:,? (?:Apt|Apartment|Suite|Unit|#) ?[A-Za-z0-9-]+)?"
)
_ADDRESS_PRE = re.compile("[号栋幢座单室房楼层弄#0-9]")
_ADDRESS_TRIGGER = re.compile(
    r"[0-9一二三四五六七八九十零〇两A-Za-z](?:号|栋|幢|座|单元|室|房|楼|层|弄|#)|[0-9]-[0-9]{1,2}-[0-9]"
    r"|[0-9] [A-Z][a-z]+ "
)

# ---------------------------------------------------------------------------------------------------------------
# Names (only after an explicit cue, and only with a common surname: precise, not complete)

_SURNAMES_2 = (
    "欧阳|司马|上官|诸葛|东方|皇甫|慕容|令狐|夏侯|尉迟|公孙|长孙|宇文|轩辕|端木|独孤|南宫|西门|司徒|申屠|闻人|万俟"
)
_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟"
    "谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路"
    "游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全"
    "佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_GIVEN = (
    "(?:(?!先生|女士|小姐|老师|师傅|同学|经理|总)"
    "(?![的了是在和与及电手地号码住收寄送到我你他她它们吗呢吧啊哦呀要想说请帮给把被让就都也还又再很太已不没])"
    "[\u4e00-\u9fff])"
)
# Strong cues introduce a name directly ("收件人张三"); weak ones are also used for the field itself ("按姓名查找",
# "用户名和密码") and need a colon or 是/为 first.
_NAME_CUE_STRONG = "(?:我叫|我的名字(?:是|叫)|名字叫|收件人|收货人|联系人|寄件人|持卡人)"
_NAME_CUE_WEAK = "(?:姓名|户名|本人姓名)"
_NAME_CUE = f"(?:{_NAME_CUE_STRONG}|{_NAME_CUE_WEAK})"
# What may follow a name: not Han, or a word that typically comes next; "联系人查询时速度慢" is not a name.
_NAME_END = "(?=[^\u4e00-\u9fff]|$|电话|手机|号码|地址|联系|收|先生|女士|小姐|身份证|的|是|在|已|不|没|也|说)"
_NAME = re.compile(
    f"(?:{_NAME_CUE_STRONG}\\s*(?:是|为)?\\s*[:：]?|{_NAME_CUE_WEAK}\\s*(?:是|为|[:：])\\s*)\\s*"
    f"(?P<zh>(?:{_SURNAMES_2}|[{_SURNAMES_1}]){_GIVEN}{{1,2}}){_NAME_END}"
    r"|(?i:my name is|my name's|name:|recipient:)\s*(?P<en>[A-Z][a-z]+(?: [A-Z][a-z]+){0,2})"
)
_NAME_TRIGGER = re.compile(_NAME_CUE)
_EN_NAME_WORDS = ("name", "Name", "NAME", "ecipient")


def _texts_and_names(text: str) -> Iterator[tuple[PiiKind, int, int]]:
    """Candidate e-mails, IM accounts, addresses and cued names."""
    if "@" in text:
        for m in _EMAIL.finditer(text):
            yield PiiKind.EMAIL, m.start(), m.end()
    if _IM_PRE.search(text) and _IM_TRIGGER.search(text):
        for m in _IM.finditer(text):
            group = "qq" if m.group("qq") else "wx"
            yield PiiKind.IM_ACCOUNT, m.start(group), m.end(group)
    if _ADDRESS_PRE.search(text) and _ADDRESS_TRIGGER.search(text):
        for m in _ADDRESS.finditer(text):
            yield PiiKind.ADDRESS, m.start(), m.end()
    if _NAME_TRIGGER.search(text) or any(w in text for w in _EN_NAME_WORDS):
        for m in _NAME.finditer(text):
            group = "zh" if m.group("zh") else "en"
            yield PiiKind.NAME, m.start(group), m.end(group)


# ---------------------------------------------------------------------------------------------------------------
# Putting it together


class _Taken:
    """Non-overlapping intervals kept sorted, so overlap checks stay logarithmic on long texts."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add_if_free(self, start: int, end: int) -> bool:
        """Add ``[start, end)`` unless it overlaps an interval already taken."""
        i = bisect_right(self.starts, start)
        if (i > 0 and self.ends[i - 1] > start) or (i < len(self.starts) and self.starts[i] < end):
            return False
        self.starts.insert(i, start)
        self.ends.insert(i, end)
        return True


def _select(candidates: list[tuple[PiiKind, int, int]], taken: _Taken) -> list[tuple[PiiKind, int, int]]:
    """Keep non-overlapping candidates, the better-validated and then the longer one first."""
    ordered = sorted(candidates, key=lambda c: (_PRIORITY[c[0]], c[1] - c[2], c[1]))
    return [(kind, start, end) for kind, start, end in ordered if start < end and taken.add_if_free(start, end)]


def _repeats(text: str, chosen: list[tuple[PiiKind, int, int]], taken: _Taken) -> list[tuple[PiiKind, int, int]]:
    """Other occurrences of an already detected value (the name again, the number written twice)."""
    extra: list[tuple[PiiKind, int, int]] = []
    values = {text[start:end]: kind for kind, start, end in reversed(chosen)}
    for value, kind in values.items():
        pos = text.find(value)
        while pos != -1:
            stop = pos + len(value)
            # A number inside a longer number is a different number (an order number may contain a phone's digits).
            bounded = not (
                (value[0].isdigit() and pos > 0 and text[pos - 1].isdigit())
                or (value[-1].isalnum() and stop < len(text) and text[stop].isascii() and text[stop].isalnum())
                or (
                    value[0].isascii()
                    and value[0].isalnum()
                    and pos > 0
                    and text[pos - 1].isascii()
                    and text[pos - 1].isalnum()
                )
            )
            if bounded and taken.add_if_free(pos, stop):
                extra.append((kind, pos, stop))
            pos = text.find(value, pos + 1)
    return extra


def _detect(text: str, kinds: Collection[PiiKind] | None) -> list[tuple[PiiKind, int, int]]:
    """Chosen, non-overlapping PII spans in ``text`` (offsets into it)."""
    folded = fold_width(text)  # same length: full-width digits and ＠ are found too
    candidates: list[tuple[PiiKind, int, int]] = []
    if _DIGITS3.search(folded):
        candidates += _numbers(folded)
    candidates += _texts_and_names(folded)
    if kinds is not None:
        candidates = [c for c in candidates if c[0] in kinds]
    if not candidates:
        return []
    taken = _Taken()
    chosen = _select(candidates, taken)
    return chosen + _repeats(folded, chosen, taken)


def _apply(text: str, spans: list[tuple[PiiKind, int, int]]) -> tuple[str, list[tuple[int, int, int]]]:
    """Replace the spans; also return the kept stretches as (masked start, length, input start)."""
    pieces: list[str] = []
    kept: list[tuple[int, int, int]] = []
    pos = out = 0
    for kind, start, end in spans:
        placeholder = PLACEHOLDERS[kind]
        kept.append((out, start - pos, pos))
        pieces += (text[pos:start], placeholder)
        out += start - pos + len(placeholder)
        pos = end
    kept.append((out, len(text) - pos, pos))
    pieces.append(text[pos:])
    return "".join(pieces), kept


_MAX_PASSES = 16


def mask_pii(text: str, kinds: Collection[PiiKind] | None = None) -> Masked:
    """Replace personal data with placeholders (all kinds, or only ``kinds``), keeping order numbers intact."""
    base = _replace_surrogates(text)
    spans = sorted(_detect(base, kinds), key=lambda c: c[1])
    if not spans:
        return Masked(base, ())
    masked, kept = _apply(base, spans)
    # A value glued to another one (an ID card number written right before a phone number) is hidden by its
    # neighbour's digits until the neighbour is masked: detect again on the masked text until nothing new turns up,
    # so that masking is idempotent. Costs one more pass, and only for texts that held PII.
    for _ in range(_MAX_PASSES):
        more = _detect(masked, kinds)
        if not more:
            break
        starts = [k[0] for k in kept]
        for kind, start, end in more:
            out_start, length, in_start = kept[bisect_right(starts, start) - 1]
            if end <= out_start + length:  # inside a kept stretch, never across a placeholder
                spans.append((kind, in_start + start - out_start, in_start + end - out_start))
        spans.sort(key=lambda c: c[1])
        masked, kept = _apply(base, spans)
    return Masked(masked, tuple(PiiSpan(kind, start, end, PLACEHOLDERS[kind]) for kind, start, end in spans))


def original_spans(masked: Masked, normalised: Normalised) -> tuple[PiiSpan, ...]:
    """Spans of ``mask_pii(normalised.text)`` as offsets into the customer's original text (for highlighting)."""
    return tuple(PiiSpan(s.kind, *normalised.to_original(s.start, s.end), s.replacement) for s in masked.spans)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(text: str) -> bool:
    """Whether the text holds lone surrogates (which cannot be encoded and are replaced by U+FFFD)."""
    return _SURROGATE.search(text) is not None


def _replace_surrogates(text: str) -> str:
    """Replace lone surrogates with U+FFFD, keeping the length."""
    return _SURROGATE.sub("\ufffd", text) if _has_surrogate(text) else text
