"""PII masking: what is masked, what must survive (order numbers), and the invariants that make it safe."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.nlp.normalise import normalise
from aftersales.nlp.pii import PLACEHOLDERS, Masked, PiiKind, mask_pii, original_spans

# Independent re-implementations of the checks, so a wrong check in the code makes these tests fail.


def id_card(first17: str) -> str:
    """A PRC ID number with its ISO 7064 MOD 11-2 check character."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def luhn(prefix: str) -> str:
    """``prefix`` plus the Luhn check digit."""
    for d in "0123456789":
        digits = [int(c) for c in prefix + d][::-1]
        total = sum(x if i % 2 == 0 else (x * 2 - 9 if x > 4 else x * 2) for i, x in enumerate(digits))
        if total % 10 == 0:
            return prefix + d
    raise AssertionError("unreachable")


def wrong_last(number: str) -> str:
    """The same number with a different (so invalid) last character."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


ID = id_card("11010519491231002")
ID_GANSU = id_card("62010219900307123")
CARD_UNIONPAY = luhn("621226120201158434")  # 19 digits
CARD_VISA = luhn("411111111111111")  # 16 digits
ORDER_LUHN = luhn("123456789012345678")  # Luhn-valid but no card issuer starts with 1


def _masked(raw: str) -> str:
    return mask_pii(raw).text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("我的手机号是13800138000，谢谢", "我的手机号是<PHONE>，谢谢"),
        ("电话 +86 138-0013-8000 找我", "电话 <PHONE> 找我"),
        ("手机 8613912345678", "手机 <PHONE>"),
        ("call 0086 139 1234 5678", "call <PHONE>"),
        (
            "手机１３８００１３８０００",
            "手机<PHONE>",
        ),  # full-width digits are found; the rest stays as written
        ("座机 010-62345678", "座机 <PHONE>"),
        ("座机 (0571)88886666 转 分机", "座机 <PHONE> 转 分机"),
        ("请拨0755-2345678-123", "请拨<PHONE>"),
        (f"{ID}13800138000", "<ID_CARD><PHONE>"),  # glued together: both found (a second pass frees the ID)
        (f"身份证{ID}", "身份证<ID_CARD>"),
        (f"身份证号 {ID.lower()}", "身份证号 <ID_CARD>"),
        (f"证件 {ID_GANSU}", "证件 <ID_CARD>"),
        (f"身份证编号：{ID}", "身份证编号：<ID_CARD>"),
        ("身份证号：110105491231002", "身份证号：<ID_CARD>"),
        ("邮箱 zhang.san@qq.com，", "邮箱 <EMAIL>，"),
        ("mail me at a_b+tag@mail.example.co.uk.", "mail me at <EMAIL>."),
        ("邮箱ｚｓ＠ｑｑ．ｃｏｍ", "邮箱<EMAIL>"),
        (f"退款到卡号{CARD_UNIONPAY}", "退款到卡号<BANK_CARD>"),
        (
            f"card {CARD_VISA[:4]} {CARD_VISA[4:8]} {CARD_VISA[8:12]} {CARD_VISA[12:]} please",
            "card <BANK_CARD> please",
        ),
        (
            "收货地址：浙江省杭州市西湖区文三路100号阳光小区5栋2单元301室，谢谢",
            "收货地址：<ADDRESS>，谢谢",
        ),
        ("寄到上海市浦东新区张江路1000弄3号", "寄到<ADDRESS>"),
        ("地址北京市朝阳区建国路88号", "地址<ADDRESS>"),
        ("我家在3栋2单元502，麻烦送上门", "我家在<ADDRESS>，麻烦送上门"),
        ("送到阳光花园5栋", "送到<ADDRESS>"),
        ("I live at 221 Baker Street, Apt 2B.", "I live at <ADDRESS>."),
        ("收件人张三，电话13800138000", "收件人<NAME>，电话<PHONE>"),
        ("收件人：欧阳娜娜", "收件人：<NAME>"),
        ("你好，我叫王小明，订单有问题", "你好，我叫<NAME>，订单有问题"),
        ("收件人张三。张三说没收到", "收件人<NAME>。<NAME>说没收到"),  # every occurrence of a found value
        ("My name is John Smith.", "My name is <NAME>."),
        ("QQ: 12345678 有事联系", "QQ: <ACCOUNT> 有事联系"),
        ("加我微信号 wxid_abc123", "加我微信号 <ACCOUNT>"),
    ],
)
def test_masks(raw: str, expected: str) -> None:
    assert _masked(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "订单号1234567890123456789还没发货",
        "订单号：6222021234567890",  # looks like a card, but it is introduced as an order number
        f"order no. {CARD_VISA}",
        f"订单 {ORDER_LUHN}",
        f"单号{ORDER_LUHN}",
        f"订单编号 {ORDER_LUHN}",
        "物流单号 SF1234567890123",
        f"这串数字{wrong_last(ID)}是什么",  # fails the ID checksum
        f"卡号{wrong_last(CARD_UNIONPAY)}",  # fails Luhn
        "123456789012345",  # 15 digits with no ID cue
        "12345678901",  # 11 digits, not a mobile prefix
        "138001380001",  # 12 digits: not a mobile number
        "客服热线 400-800-8888",  # company hotline, not personal
        "2023-11-25 下的单",
        "价格 ¥1999.00，用了3天",
        "11月1号到的",
        "我不知道3号能不能到",
        "住在5栋",
        "买了3楼的",
        "杭州市西湖区的用户",  # a district alone is coarse location, used for analytics
        "我叫了客服",
        "联系人李先生",
        "收件人写错了",
        "微信支付",
        "my name is not important",
        "",
    ],
)
def test_does_not_mask(raw: str) -> None:
    result = mask_pii(raw)
    assert result.text == raw
    assert result.spans == ()


def test_order_cue_does_not_protect_a_phone_after_a_courier_word() -> None:
    assert _masked("快递员电话13800138000") == "快递员电话<PHONE>"


def test_spans_are_offsets_into_the_input() -> None:
    raw = "收件人张三，电话 +86 138-0013-8000，邮箱 zs@qq.com"
    result = mask_pii(raw)
    assert [(s.kind, raw[s.start : s.end], s.replacement) for s in result.spans] == [
        (PiiKind.NAME, "张三", "<NAME>"),
        (PiiKind.MOBILE, "+86 138-0013-8000", "<PHONE>"),
        (PiiKind.EMAIL, "zs@qq.com", "<EMAIL>"),
    ]
    assert result.kinds() == {PiiKind.NAME, PiiKind.MOBILE, PiiKind.EMAIL}


def test_kinds_filter() -> None:
    raw = "收件人张三，电话13800138000"
    assert mask_pii(raw, kinds={PiiKind.MOBILE}).text == "收件人张三，电话<PHONE>"
    assert mask_pii(raw, kinds=()).text == raw


def test_placeholders_are_stable() -> None:
    # A contract: stored text, models and exports depend on these exact tokens.
    assert {k.value: v for k, v in PLACEHOLDERS.items()} == {
        "mobile": "<PHONE>",
        "landline": "<PHONE>",
        "id_card": "<ID_CARD>",
        "email": "<EMAIL>",
        "bank_card": "<BANK_CARD>",
        "address": "<ADDRESS>",
        "name": "<NAME>",
        "im_account": "<ACCOUNT>",
    }
    assert PiiKind.MOBILE.label("zh-CN") == "手机号"


def test_lone_surrogates_become_replacement_characters() -> None:
    for raw in ("坏\ud800了", "电话13800138000\udc00"):
        result = mask_pii(raw)
        result.text.encode("utf-8")
        assert "\ufffd" in result.text


def test_works_on_normalised_text() -> None:
    norm = normalise("收件人：張三，電話：１３８ ００１３ ８０００！！")
    masked = mask_pii(norm.text)
    assert masked.text == "收件人:<NAME>,电话:<PHONE>!!"
    phone = next(s for s in masked.spans if s.kind is PiiKind.MOBILE)
    assert norm.original_text(phone.start, phone.end) == "１３８ ００１３ ８０００"
    assert [norm.original[s.start : s.end] for s in original_spans(masked, norm)] == [
        "張三",
        "１３８ ００１３ ８０００",
    ]


def test_large_text() -> None:
    chunk = "这个商品质量太差了，我要退货！订单号1234567890123456789，电话13800138000。"
    raw = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    result = mask_pii(raw)
    assert "13800138000" not in result.text
    assert result.text.count("1234567890123456789") == raw.count("1234567890123456789")


# --------------------------------------------------------------------------------------------------------------
# Properties


def _rebuild(raw: str, masked: Masked) -> str:
    out, pos = [], 0
    for span in masked.spans:
        out += [raw[pos : span.start], span.replacement]
        pos = span.end
    out.append(raw[pos:])
    return "".join(out)


def _check(raw: str, masked: Masked) -> None:
    masked.text.encode("utf-8")
    previous_end = 0
    for span in masked.spans:
        assert previous_end <= span.start < span.end <= len(raw)
        assert span.replacement == PLACEHOLDERS[span.kind]
        previous_end = span.end
    safe = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in raw)
    assert _rebuild(safe, masked) == masked.text


_ANY_CHAR = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.sampled_from(list("0123456789 -+()@.:：号栋单元室路市区收件人张三我叫Xx")),
)


@settings(max_examples=300, deadline=None)
@given(st.text(_ANY_CHAR, max_size=80))
def test_never_crashes_and_spans_are_consistent(raw: str) -> None:
    _check(raw, mask_pii(raw))


_DIGIT = st.sampled_from("0123456789")
_FRAGMENT = st.one_of(
    st.sampled_from(
        [
            "13800138000",
            "+86 139-1234-5678",
            "010-62345678",
            ID,
            CARD_UNIONPAY,
            "zs@qq.com",
            "收件人张三",
            "我叫欧阳娜娜",
            "杭州市西湖区文三路100号5栋2单元301室",
            "3栋2单元502",
            "订单号",
            "order no.",
            "身份证",
            "QQ",
            "微信",
            "质量太差了",
            "退货",
            "电话",
        ]
    ),
    st.text(_DIGIT, min_size=1, max_size=20),
    st.text(st.sampled_from("0123456789 -+()"), max_size=12),
)
_SEPARATOR = st.sampled_from(["", " ", "，", "。", "\n", "-", ":"])


@st.composite
def pii_texts(draw: st.DrawFn) -> str:
    """Texts made of PII, order numbers, digit noise and Chinese filler, glued in awkward ways."""
    parts = draw(st.lists(st.tuples(_FRAGMENT, _SEPARATOR), max_size=8))
    return "".join(a + b for a, b in parts)


@settings(max_examples=400, deadline=None)
@given(st.one_of(pii_texts(), st.text(_ANY_CHAR, max_size=60)))
def test_masking_is_idempotent(raw: str) -> None:
    once = mask_pii(raw)
    twice = mask_pii(once.text)
    assert twice.text == once.text
    assert twice.spans == ()


_CLEAN_SEPARATOR = st.sampled_from([" ", "，", "。", "\n"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_FRAGMENT, _CLEAN_SEPARATOR), max_size=8))
def test_masked_output_contains_no_detected_original(parts: list[tuple[str, str]]) -> None:
    raw = "".join(a + b for a, b in parts)
    masked = mask_pii(raw)
    _check(raw, masked)
    for span in masked.spans:
        assert raw[span.start : span.end] not in masked.text


@pytest.mark.parametrize("value", ["13800138000", ID, CARD_UNIONPAY, "zs@qq.com"])
@settings(max_examples=50, deadline=None)
@given(
    prefix=st.text(st.sampled_from("好评差退货 ，。!"), max_size=10),
    suffix=st.text(st.sampled_from("好评差 ，。!"), max_size=10),
)
def test_embedded_pii_is_always_masked(value: str, prefix: str, suffix: str) -> None:
    assert value not in mask_pii(prefix + value + suffix).text


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_FRAGMENT, _CLEAN_SEPARATOR), max_size=8))
def test_hint_is_a_superset_of_every_detector(parts: list[tuple[str, str]]) -> None:
    """Ingest skips the masker for texts PII_HINT does not match: that must never skip real PII."""
    import re

    from aftersales.nlp.pii import PII_HINT

    raw = "".join(a + b for a, b in parts)
    if mask_pii(raw).spans:
        assert re.search(PII_HINT, raw), raw


@pytest.mark.parametrize(
    "raw",
    [
        "我的手机号是13800138000",
        "加我微信号 wxid_abc123",
        "收件人张三",
        "地址：北京市朝阳区建国路88号3单元501室",
        "卡号 6222 0212 3456 7890 123",
        "电话 010-12345678",
        "mail me at a.b@example.com",
        "138 0013 8000",
        "QQ 12345",
        "1 Main Street, Apt 4",
    ],
)
def test_hint_matches_known_pii(raw: str) -> None:
    import re

    from aftersales.nlp.pii import PII_HINT

    if mask_pii(raw).spans:
        assert re.search(PII_HINT, raw)
