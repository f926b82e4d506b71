"""The controlled vocabulary of DESIGN.md §3: one source of truth for codes and their zh/en names."""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A code enum whose members carry Chinese and English display names (set by `_names` below the class)."""

    @property
    def zh(self) -> str:
        """Chinese display name."""
        return _DISPLAY[type(self)][self.value][0]

    @property
    def en(self) -> str:
        """English display name."""
        return _DISPLAY[type(self)][self.value][1]

    def label(self, locale: str = "zh-CN") -> str:
        """Display name for a locale (zh-* → Chinese, anything else → English)."""
        return self.zh if locale.lower().startswith("zh") else self.en

    @classmethod
    def codes(cls) -> list[str]:
        """All codes in declaration order."""
        return [m.value for m in cls]


_DISPLAY: dict[type[Labelled], dict[str, tuple[str, str]]] = {}


def _names(enum: type[Labelled], names: dict[str, tuple[str, str]]) -> None:
    """Attach display names to an enum, insisting that every code has both."""
    missing = set(enum.codes()) ^ set(names)
    if missing:
        raise ValueError(f"{enum.__name__}: display names do not match codes: {sorted(missing)}")
    _DISPLAY[enum] = names


class Polarity(Labelled):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


_names(
    Polarity,
    {
        "positive": ("正面", "positive"),
        "neutral": ("中性", "neutral"),
        "negative": ("负面", "negative"),
    },
)


class Emotion(Labelled):
    ANGER = "anger"
    DISSATISFACTION = "dissatisfaction"
    DISAPPOINTMENT = "disappointment"
    ANXIETY = "anxiety"
    NEUTRAL = "neutral"
    SATISFACTION = "satisfaction"
    RELIEF = "relief"
    GRATITUDE = "gratitude"


_names(
    Emotion,
    {
        "anger": ("愤怒", "anger"),
        "dissatisfaction": ("不满/抗拒", "dissatisfaction"),
        "disappointment": ("失望/无助", "disappointment"),
        "anxiety": ("焦虑/不安", "anxiety"),
        "neutral": ("平静", "neutral"),
        "satisfaction": ("满意/愉悦", "satisfaction"),
        "relief": ("安心", "relief"),
        "gratitude": ("感谢", "gratitude"),
    },
)


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
    MILD = "1"
    CLEAR = "2"
    STRONG = "3"


_names(
    Intensity,
    {
        "1": ("轻微", "mild"),
        "2": ("明显", "clear"),
        "3": ("强烈", "strong"),
    },
)


class Stage(Labelled):
    NONE = "none"
    LATENT = "latent"
    EXPLICIT = "explicit"
    INTENT_TO_COMPLAIN = "intent_to_complain"
    FORMAL_COMPLAINT = "formal_complaint"


_names(
    Stage,
    {
        "none": ("无抱怨", "no complaint"),
        "latent": ("潜在抱怨", "latent complaint"),
        "explicit": ("显在抱怨", "explicit complaint"),
        "intent_to_complain": ("潜在投诉", "intent to complain"),
        "formal_complaint": ("投诉", "formal complaint"),
    },
)


class Reason(Labelled):
    QUALITY_DEFECT = "quality_defect"
    COUNTERFEIT = "counterfeit"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    WRONG_ITEM = "wrong_item"
    MISSING_PARTS = "missing_parts"
    NOT_AS_DESCRIBED = "not_as_described"
    SIZE_FIT = "size_fit"
    LOGISTICS_DELAY = "logistics_delay"
    HARD_TO_USE = "hard_to_use"
    CHANGED_MIND = "changed_mind"
    PRICE = "price"
    SERVICE_ATTITUDE = "service_attitude"
    OTHER = "other"


_names(
    Reason,
    {
        "quality_defect": ("质量问题", "quality defect"),
        "counterfeit": ("假货/非正品", "counterfeit"),
        "damaged_in_transit": ("运输破损", "damaged in transit"),
        "wrong_item": ("发错货", "wrong item"),
        "missing_parts": ("少件/漏发", "missing parts"),
        "not_as_described": ("与描述不符", "not as described"),
        "size_fit": ("尺码不合适", "size / fit"),
        "logistics_delay": ("物流延迟", "logistics delay"),
        "hard_to_use": ("不会用/难用", "hard to use"),
        "changed_mind": ("不想要了", "changed mind"),
        "price": ("价格问题", "price"),
        "service_attitude": ("服务态度", "service attitude"),
        "other": ("其他", "other"),
    },
)


class ProblemType(Labelled):
    TECHNICAL = "technical"
    SERVICE = "service"
    OTHER = "other"


_names(
    ProblemType,
    {
        "technical": ("技术问题", "technical"),
        "service": ("服务问题", "service"),
        "other": ("其他问题", "other"),
    },
)


class Priority(Labelled):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


_names(
    Priority,
    {
        "P1": ("紧急", "urgent"),
        "P2": ("高", "high"),
        "P3": ("中", "medium"),
        "P4": ("低", "low"),
    },
)


class CaseStatus(Labelled):
    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


_names(
    CaseStatus,
    {
        "new": ("新建", "new"),
        "triaged": ("已分派", "triaged"),
        "in_progress": ("处理中", "in progress"),
        "waiting_customer": ("等待客户", "waiting for customer"),
        "resolved": ("已解决", "resolved"),
        "closed": ("已关闭", "closed"),
    },
)


class Channel(Labelled):
    CHAT = "chat"
    PHONE = "phone"
    EMAIL = "email"
    SOCIAL = "social"
    REVIEW = "review"
    SURVEY = "survey"
    TICKET = "ticket"
    RETURN_FORM = "return_form"


_names(
    Channel,
    {
        "chat": ("在线客服", "chat"),
        "phone": ("电话", "phone"),
        "email": ("邮件", "email"),
        "social": ("社交媒体", "social media"),
        "review": ("商品评价", "review"),
        "survey": ("问卷", "survey"),
        "ticket": ("工单", "ticket"),
        "return_form": ("退货申请", "return form"),
    },
)


class Tier(Labelled):
    REGULAR = "regular"
    VIP = "vip"


_names(
    Tier,
    {
        "regular": ("普通会员", "regular"),
        "vip": ("VIP", "VIP"),
    },
)


class ReturnType(Labelled):
    RETURN = "return"
    EXCHANGE = "exchange"
    REFUND_ONLY = "refund_only"


_names(
    ReturnType,
    {
        "return": ("退货退款", "return"),
        "exchange": ("换货", "exchange"),
        "refund_only": ("仅退款", "refund only"),
    },
)


class ReturnStatus(Labelled):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    CLOSED = "closed"


_names(
    ReturnStatus,
    {
        "requested": ("已申请", "requested"),
        "approved": ("已同意", "approved"),
        "rejected": ("已拒绝", "rejected"),
        "received": ("已收货", "received"),
        "refunded": ("已退款", "refunded"),
        "exchanged": ("已换货", "exchanged"),
        "closed": ("已关闭", "closed"),
    },
)


class Author(Labelled):
    CUSTOMER = "customer"
    AGENT = "agent"


_names(
    Author,
    {
        "customer": ("客户", "customer"),
        "agent": ("客服", "agent"),
    },
)


class SurveyKind(Labelled):
    CSAT = "csat"
    NPS = "nps"


_names(
    SurveyKind,
    {
        "csat": ("满意度", "CSAT"),
        "nps": ("净推荐值", "NPS"),
    },
)


class Language(Labelled):
    ZH = "zh"
    EN = "en"
    MIXED = "mixed"
    OTHER = "other"


_names(
    Language,
    {
        "zh": ("中文", "Chinese"),
        "en": ("英文", "English"),
        "mixed": ("中英混合", "mixed"),
        "other": ("其他", "other"),
    },
)


class Region(Labelled):
    """China's seven customary sales regions, used by the demo and as alias targets."""

    EAST = "华东"
    SOUTH = "华南"
    NORTH = "华北"
    CENTRAL = "华中"
    SOUTHWEST = "西南"
    NORTHWEST = "西北"
    NORTHEAST = "东北"


_names(
    Region,
    {
        "华东": ("华东", "East China"),
        "华南": ("华南", "South China"),
        "华北": ("华北", "North China"),
        "华中": ("华中", "Central China"),
        "西南": ("西南", "Southwest China"),
        "西北": ("西北", "Northwest China"),
        "东北": ("东北", "Northeast China"),
    },
)
