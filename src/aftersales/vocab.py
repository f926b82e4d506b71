"""The controlled vocabulary of DESIGN.md §3: one source of truth for codes and their zh/en names."""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A code enum whose members carry Chinese and English display names."""

    def __new__(cls, code: str, zh: str, en: str) -> Labelled:
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.zh = zh  # type: ignore[attr-defined]
        obj.en = en  # type: ignore[attr-defined]
        return obj

    def label(self, locale: str = "zh-CN") -> str:
        """Display name for a locale (zh-* → Chinese, anything else → English)."""
        return str(self.zh if locale.lower().startswith("zh") else self.en)  # type: ignore[attr-defined]

    @classmethod
    def codes(cls) -> list[str]:
        """All codes in declaration order."""
        return [m.value for m in cls]


class Polarity(Labelled):
    POSITIVE = ("positive", "正面", "positive")
    NEUTRAL = ("neutral", "中性", "neutral")
    NEGATIVE = ("negative", "负面", "negative")


class Emotion(Labelled):
    ANGER = ("anger", "愤怒", "anger")
    DISSATISFACTION = ("dissatisfaction", "不满/抗拒", "dissatisfaction")
    DISAPPOINTMENT = ("disappointment", "失望/无助", "disappointment")
    ANXIETY = ("anxiety", "焦虑/不安", "anxiety")
    NEUTRAL = ("neutral", "平静", "neutral")
    SATISFACTION = ("satisfaction", "满意/愉悦", "satisfaction")
    RELIEF = ("relief", "安心", "relief")
    GRATITUDE = ("gratitude", "感谢", "gratitude")


EMOTION_POLARITY: dict[Emotion, Polarity] = {
    Emotion.ANGER: Polarity.NEGATIVE,
    Emotion.DISSATISFACTION: Polarity.NEGATIVE,
    Emotion.DISAPPOINTMENT: Polarity.NEGATIVE,
    Emotion.ANXIETY: Polarity.NEGATIVE,
    Emotion.NEUTRAL: Polarity.NEUTRAL,
    Emotion.SATISFACTION: Polarity.POSITIVE,
    Emotion.RELIEF: Polarity.POSITIVE,
    Emotion.GRATITUDE: Polarity.POSITIVE,
}


class Intensity(Labelled):
    MILD = ("1", "轻微", "mild")
    CLEAR = ("2", "明显", "clear")
    STRONG = ("3", "强烈", "strong")


class Stage(Labelled):
    NONE = ("none", "无抱怨", "no complaint")
    LATENT = ("latent", "潜在抱怨", "latent complaint")
    EXPLICIT = ("explicit", "显在抱怨", "explicit complaint")
    INTENT_TO_COMPLAIN = ("intent_to_complain", "潜在投诉", "intent to complain")
    FORMAL_COMPLAINT = ("formal_complaint", "投诉", "formal complaint")


class Reason(Labelled):
    QUALITY_DEFECT = ("quality_defect", "质量问题", "quality defect")
    COUNTERFEIT = ("counterfeit", "假货/非正品", "counterfeit")
    DAMAGED_IN_TRANSIT = ("damaged_in_transit", "运输破损", "damaged in transit")
    WRONG_ITEM = ("wrong_item", "发错货", "wrong item")
    MISSING_PARTS = ("missing_parts", "少件/漏发", "missing parts")
    NOT_AS_DESCRIBED = ("not_as_described", "与描述不符", "not as described")
    SIZE_FIT = ("size_fit", "尺码不合适", "size / fit")
    LOGISTICS_DELAY = ("logistics_delay", "物流延迟", "logistics delay")
    HARD_TO_USE = ("hard_to_use", "不会用/难用", "hard to use")
    CHANGED_MIND = ("changed_mind", "不想要了", "changed mind")
    PRICE = ("price", "价格问题", "price")
    SERVICE_ATTITUDE = ("service_attitude", "服务态度", "service attitude")
    OTHER = ("other", "其他", "other")


class ProblemType(Labelled):
    TECHNICAL = ("technical", "技术问题", "technical")
    SERVICE = ("service", "服务问题", "service")
    OTHER = ("other", "其他问题", "other")


class Priority(Labelled):
    P1 = ("P1", "紧急", "urgent")
    P2 = ("P2", "高", "high")
    P3 = ("P3", "中", "medium")
    P4 = ("P4", "低", "low")


class CaseStatus(Labelled):
    NEW = ("new", "新建", "new")
    TRIAGED = ("triaged", "已分派", "triaged")
    IN_PROGRESS = ("in_progress", "处理中", "in progress")
    WAITING_CUSTOMER = ("waiting_customer", "等待客户", "waiting for customer")
    RESOLVED = ("resolved", "已解决", "resolved")
    CLOSED = ("closed", "已关闭", "closed")


class Channel(Labelled):
    CHAT = ("chat", "在线客服", "chat")
    PHONE = ("phone", "电话", "phone")
    EMAIL = ("email", "邮件", "email")
    SOCIAL = ("social", "社交媒体", "social media")
    REVIEW = ("review", "商品评价", "review")
    SURVEY = ("survey", "问卷", "survey")
    TICKET = ("ticket", "工单", "ticket")
    RETURN_FORM = ("return_form", "退货申请", "return form")


class Tier(Labelled):
    REGULAR = ("regular", "普通会员", "regular")
    VIP = ("vip", "VIP", "VIP")


class ReturnType(Labelled):
    RETURN = ("return", "退货退款", "return")
    EXCHANGE = ("exchange", "换货", "exchange")
    REFUND_ONLY = ("refund_only", "仅退款", "refund only")


class ReturnStatus(Labelled):
    REQUESTED = ("requested", "已申请", "requested")
    APPROVED = ("approved", "已同意", "approved")
    REJECTED = ("rejected", "已拒绝", "rejected")
    RECEIVED = ("received", "已收货", "received")
    REFUNDED = ("refunded", "已退款", "refunded")
    EXCHANGED = ("exchanged", "已换货", "exchanged")
    CLOSED = ("closed", "已关闭", "closed")


class Author(Labelled):
    CUSTOMER = ("customer", "客户", "customer")
    AGENT = ("agent", "客服", "agent")


class SurveyKind(Labelled):
    CSAT = ("csat", "满意度", "CSAT")
    NPS = ("nps", "净推荐值", "NPS")


class Language(Labelled):
    ZH = ("zh", "中文", "Chinese")
    EN = ("en", "英文", "English")
    MIXED = ("mixed", "中英混合", "mixed")
    OTHER = ("other", "其他", "other")


class Region(Labelled):
    """China's seven customary sales regions, used by the demo and as alias targets."""

    EAST = ("华东", "华东", "East China")
    SOUTH = ("华南", "华南", "South China")
    NORTH = ("华北", "华北", "North China")
    CENTRAL = ("华中", "华中", "Central China")
    SOUTHWEST = ("西南", "西南", "Southwest China")
    NORTHWEST = ("西北", "西北", "Northwest China")
    NORTHEAST = ("东北", "东北", "Northeast China")
