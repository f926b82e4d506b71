"""Complaint-stage wording (docs/labelling.md "stage"): hedges point at latent, escalation threats at intent, filed
complaints at formal. Explicit complaints are read from negative emotion and reason evidence, plus the terms here.

Literal terms are matched like every other lexicon; the regular expressions in STAGE_PATTERNS catch the tenses that
a word list cannot ("已经向12315投诉了", "I have filed a complaint").
"""

from __future__ import annotations


def _w(weight: float, words: str) -> dict[str, float]:
    """Give every whitespace-separated word the same weight."""
    return dict.fromkeys(words.split(), weight)


def _en(weight: float, phrases: str) -> dict[str, float]:
    """Give every comma-separated English phrase the same weight (phrases hold spaces, so commas separate them)."""
    return dict.fromkeys((p.strip() for p in phrases.split(",") if p.strip()), weight)


LATENT: dict[str, float] = {
    **_w(
        1.0,
        """美中不足 就是有点 唯一不足 唯一的不足 唯一缺点 缺点是 不足之处 有待改进 有待提高 希望改进 希望能改进
        希望下次 建议改进 如果能 要是能 就更好了 就完美了 稍微有点 略有 小问题 小毛病 小瑕疵 一般般 一般吧 还行吧
        还可以吧 凑合吧""",
    ),
    **_en(1.0, "could be better, would be nice, minor issue, only issue, only complaint, slight"),
}

EXPLICIT: dict[str, float] = {
    **_w(
        1.0,
        """差评 退货 退款 换货 要退 我要退 申请退 要求退 要求换 给我退 给退 退钱 赔偿 要赔 索赔 补偿 说法 怎么回事
        什么情况""",
    ),
    **_en(
        1.0,
        """return it, returning it, send it back, sending it back, want my money back, want a refund, want my refund,
        want a full refund, need a refund, demand a refund, demanding a refund, get a refund, request a refund,
        requesting a refund, refund me, give me a refund, issue a refund, full refund, refund my money,
        replacement, exchange it, exchange this, want to return, need to return, would like to return""",
    ),
    # A bare "refund" or "money back" is as often a question about the policy as a complaint.
    **_en(0.5, "refund, money back, return, exchange, reimbursement"),
}

INTENT: dict[str, float] = {
    **_w(0.8, "给差评 媒体 记者 电视台"),
    **_w(1.5, "就给差评 不然差评 否则差评 就差评 不然给差评 否则给差评 找媒体 联系媒体 媒体曝光 告诉媒体"),
    **_w(
        1.5,
        """12315 12345 消协 消费者协会 消保委 黑猫投诉 黑猫 工商 工商局 市场监管 市场监督 监管局 质监局 曝光
        发到网上 网上曝光 起诉 律师 法院 告你们 告你 打官司 法律途径 法律手段 维权 投诉 举报 报警 315 差评警告
        给你差评 给你们差评 打差评 找你们领导 找领导 找主管 找经理 你们领导 你们经理 你们老板 上级 负责人
        投诉无门 平台介入 申请介入 小二介入 仲裁""",
    ),
    **_w(
        1.0,
        """大家别买 千万别买 千万不要买 大家不要买 劝大家 奉劝 提醒大家 慎拍 慎买 慎重购买 慎入 慎重 抵制 远离 避雷
        不要买 别买 大家注意 引以为戒 微博 抖音 朋友圈 追加差评 别上当 不要上当 谁买谁后悔 大家小心 你们等着
        走着瞧 没完""",
    ),
    **_w(0.5, "不然 否则 要不然 再不 不解决 不给解决 不处理 不给个说法 给个说法 讨个说法"),
    **_en(
        1.5,
        """report you, reporting you, report this, bbb, better business bureau, lawyer, attorney, sue, suing,
        legal action, court, chargeback, dispute the charge, bad review, negative review, one star review,
        1 star review, 1-star review, post online, social media, speak to a manager, talk to a manager,
        your manager, your supervisor, supervisor, escalate, consumer protection, ftc, trading standards,
        file a complaint, lodge a complaint, make a complaint, submit a complaint, raise a complaint,
        register a complaint, file a formal complaint, formal complaint, consumer complaint, filing a complaint,
        lodging a complaint, complain to, complaint against, consumer association, consumers association,
        consumer council, consumer rights, consumer agency, ombudsman, small claims, report you to, report them to,
        dispute the payment, open a dispute, file a dispute, file a claim, contact my bank, call my bank,
        take legal action, see you in court, i will sue""",
    ),
    **_en(1.0, "don't buy, do not buy, stay away, avoid this, warn others, buyer beware"),
}

FORMAL: dict[str, float] = {
    **_w(
        2.0,
        """已投诉 已经投诉 已举报 已经举报 已报警 已经报警 已起诉 已经起诉 已曝光 已经曝光 已申请仲裁 已申请介入
        已经申请介入 投诉过 举报过 律师函 立案 受理 已反映 已经反映 反映过 平台已介入 小二已介入 平台介入了
        小二介入了 打了12315 打过12315 打了12345 打过12345 打了400 投诉成功 投诉结果 投诉后 投诉之后 举报后""",
    ),
    **_en(
        2.0,
        """filed a complaint, filed a chargeback, filed a dispute, filed a claim, opened a dispute, opened a case,
        opened a claim, reported you, reported this, reported them, contacted my lawyer, contacted a lawyer,
        called my lawyer, disputed the charge, have reported, i reported, we reported""",
    ),
}

STAGE_TERMS: dict[str, dict[str, float]] = {
    "latent": LATENT,
    "explicit": EXPLICIT,
    "intent_to_complain": INTENT,
    "formal_complaint": FORMAL,
}

_ACT = "投诉|举报|起诉|报警|曝光|申诉|反映"
# (stage code, regex, weight). A future or conditional marker in the clause turns a formal hit into an intent one.
STAGE_PATTERNS: tuple[tuple[str, str, float], ...] = (
    (
        "formal_complaint",
        rf"(?:已经|已|刚刚|刚|早就|昨天|今天|前天)(?:向|去|到|在|给|跟|和|打)?[^,.!?;。！？，；]{{0,12}}?(?:{_ACT})",
        2.0,
    ),
    ("formal_complaint", rf"(?:{_ACT})(?:了|过)(?!吗|吧|啊|[?？])", 2.0),
    ("formal_complaint", r"(?:打了|打过|拨打了|拨了)[^,.!?;。！？，；]{0,6}?(?:12315|12345|400|热线|投诉电话)", 2.0),
    # English: what was filed or opened must be a complaint, dispute or claim ("I opened the box" is not one), and
    # a call must have gone to someone outside the shop.
    (
        "formal_complaint",
        r"\b(?:i|we)(?:'ve| have| had)? (?:already |just )?(?:filed|lodged|submitted|opened|raised|started|made)"
        r" (?:a |an |the )?(?:formal |official )?(?:complaint|dispute|claim|chargeback|case|report)",
        2.0,
    ),
    (
        "formal_complaint",
        r"\b(?:i|we)(?:'ve| have| had)? (?:already |just )?(?:complained to|reported (?:you|this|it|them|the \w+) to"
        r"|(?:contacted|called|phoned|written to|wrote to) (?:my |the |a )?(?:bank|lawyer|attorney|police|"
        r"credit card company|card issuer|paypal|bbb|ftc|consumer|trading standards|ombudsman))",
        2.0,
    ),
    (
        "formal_complaint",
        r"\b(?:i|we)(?:'ve| have| had)? (?:already )?disputed (?:the|this|my) (?:charge|payment)",
        2.0,
    ),
)

# A clause prefix holding one of these makes a past-looking threat a future one ("再不退款我就投诉了").
FUTURE_MARKERS = r"要|就|会|准备|打算|想|将|再不|不然|否则|如果|要是|等着|必须|一定|马上|will|going to|gonna|would|'ll"
