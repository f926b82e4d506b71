"""Declarative file schemas of DESIGN.md §4: what each entity's columns are and how to validate them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from aftersales import vocab
from aftersales.errors import UnknownEntityError


class Kind(Enum):
    """How a column's text is parsed."""

    ID = "id"
    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    DATETIME = "datetime"
    ENUM = "enum"


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: parse kind, whether required, and for enums the accepted codes and synonyms."""

    name: str
    kind: Kind
    required: bool = False
    codes: tuple[str, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class EntitySpec:
    """A file schema: natural key, columns, and which references must resolve."""

    name: str
    key: str
    columns: tuple[ColumnSpec, ...]
    # References that create a pending customer when unknown (see docs/data.md).
    customer_ref: str | None = None
    # References that must already exist; unknown values reject the row.
    required_refs: tuple[tuple[str, str, str], ...] = ()  # (column, table, table key)

    @property
    def required(self) -> list[str]:
        """Names of required columns."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        """Spec of one column by canonical name."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Canonical column names in schema order."""
        return [c.name for c in self.columns]


def _enum(
    name: str, labelled: type[vocab.Labelled], required: bool = False, extra: dict[str, str] | None = None
) -> ColumnSpec:
    """Enum column accepting codes, Chinese and English display names, and extra synonyms."""
    synonyms: dict[str, str] = {}
    for member in labelled:
        for label in (member.zh, member.en):  # type: ignore[attr-defined]
            for part in str(label).split("/"):
                synonyms[part.strip().lower()] = member.value
    synonyms.update({k.lower(): v for k, v in (extra or {}).items()})
    return ColumnSpec(name, Kind.ENUM, required, codes=tuple(labelled.codes()), synonyms=synonyms)


def _id(name: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name, Kind.ID, required, max_length=128)


def _text(name: str, max_length: int | None = None, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name, Kind.TEXT, required, max_length=max_length)


def _time(name: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name, Kind.DATETIME, required)


_CHANNEL_SYNONYMS = {
    "在线": "chat",
    "客服": "chat",
    "im": "chat",
    "旺旺": "chat",
    "微信": "chat",
    "wechat": "chat",
    "聊天": "chat",
    "电话客服": "phone",
    "call": "phone",
    "热线": "phone",
    "邮箱": "email",
    "e-mail": "email",
    "mail": "email",
    "微博": "social",
    "小红书": "social",
    "抖音": "social",
    "weibo": "social",
    "评价": "review",
    "评论": "review",
    "调查": "survey",
    "退货": "return_form",
    "退货单": "return_form",
    "售后单": "return_form",
}

_LANGUAGE_SYNONYMS = {
    "中": "zh",
    "英": "en",
    "zh-cn": "zh",
    "zh-tw": "zh",
    "zh-hans": "zh",
    "en-us": "en",
    "en-gb": "en",
    "cn": "zh",
    "chinese": "zh",
    "english": "en",
}

SPECS: dict[str, EntitySpec] = {
    "customers": EntitySpec(
        "customers",
        key="customer_id",
        columns=(
            _id("customer_id", True),
            _text("name", 200),
            _enum(
                "tier",
                vocab.Tier,
                extra={
                    "普通": "regular",
                    "会员": "regular",
                    "普通用户": "regular",
                    "vip会员": "vip",
                    "svip": "vip",
                    "贵宾": "vip",
                    "normal": "regular",
                    "standard": "regular",
                },
            ),
            _text("region", 64),
            _time("joined_at"),
            _text("phone", 64),
            _text("email", 320),
        ),
    ),
    "orders": EntitySpec(
        "orders",
        key="order_id",
        customer_ref="customer_id",
        columns=(
            _id("order_id", True),
            _id("customer_id", True),
            _time("ordered_at", True),
            _text("sku", 128),
            _text("product_name", 500),
            _text("category", 128),
            _text("region", 64),
            _text("channel", 64),
            ColumnSpec("quantity", Kind.INT),
            ColumnSpec("amount", Kind.FLOAT),
            _time("delivered_at"),
            _text("promotion", 128),
            _time("promised_at"),
        ),
    ),
    "order_items": EntitySpec(
        "order_items",
        key="item_id",
        required_refs=(("order_id", "orders", "order_id"),),
        columns=(
            _id("item_id", True),
            _id("order_id", True),
            ColumnSpec("line_no", Kind.INT, True, min_value=1),
            _text("sku", 128),
            _text("product_name", 500),
            _text("category", 128),
            ColumnSpec("quantity", Kind.INT),
            ColumnSpec("unit_price", Kind.FLOAT),
            ColumnSpec("amount", Kind.FLOAT),
        ),
    ),
    "returns": EntitySpec(
        "returns",
        key="return_id",
        customer_ref="customer_id",
        required_refs=(("order_id", "orders", "order_id"),),
        columns=(
            _id("return_id", True),
            _id("order_id", True),
            _time("requested_at", True),
            _id("customer_id"),
            _enum("type", vocab.ReturnType, extra={"退货": "return", "退款": "refund_only", "换": "exchange"}),
            _enum("reason_code", vocab.Reason),
            _text("reason_text"),
            _enum(
                "status",
                vocab.ReturnStatus,
                extra={
                    "待处理": "requested",
                    "处理中": "approved",
                    "完成": "closed",
                    "已完成": "closed",
                    "pending": "requested",
                    "done": "closed",
                    "completed": "closed",
                },
            ),
            _time("resolved_at"),
            ColumnSpec("refund_amount", Kind.FLOAT, min_value=0),
            _text("sku", 128),
            _text("region", 64),
        ),
    ),
    "return_items": EntitySpec(
        "return_items",
        key="item_id",
        required_refs=(("return_id", "returns", "return_id"),),
        columns=(
            _id("item_id", True),
            _id("return_id", True),
            ColumnSpec("line_no", Kind.INT, True, min_value=1),
            _text("sku", 128),
            _text("product_name", 500),
            ColumnSpec("quantity", Kind.INT, min_value=0),
            ColumnSpec("amount", Kind.FLOAT, min_value=0),
        ),
    ),
    "interactions": EntitySpec(
        "interactions",
        key="interaction_id",
        customer_ref="customer_id",
        columns=(
            _id("interaction_id", True),
            _id("customer_id", True),
            _text("text", required=True),
            _time("created_at", True),
            _id("order_id"),
            _id("return_id"),
            _id("case_id"),
            _enum("channel", vocab.Channel, extra=_CHANNEL_SYNONYMS),
            _enum(
                "author",
                vocab.Author,
                extra={
                    "买家": "customer",
                    "顾客": "customer",
                    "用户": "customer",
                    "buyer": "customer",
                    "user": "customer",
                    "卖家": "agent",
                    "商家": "agent",
                    "坐席": "agent",
                    "seller": "agent",
                    "staff": "agent",
                },
            ),
            _enum("language", vocab.Language, extra=_LANGUAGE_SYNONYMS),
        ),
    ),
    "surveys": EntitySpec(
        "surveys",
        key="survey_id",
        customer_ref="customer_id",
        columns=(
            _id("survey_id", True),
            _id("customer_id", True),
            _enum("kind", vocab.SurveyKind, True, extra={"满意度调查": "csat", "推荐": "nps"}),
            ColumnSpec("score", Kind.INT, True, min_value=0, max_value=10),
            _time("answered_at", True),
            _id("case_id"),
            _id("order_id"),
            _text("comment"),
        ),
    ),
    "kb_articles": EntitySpec(
        "kb_articles",
        key="article_id",
        columns=(
            _id("article_id", True),
            _text("title", 500, True),
            _text("body", required=True),
            _text("tags", 1000),
            _enum("language", vocab.Language, extra=_LANGUAGE_SYNONYMS),
        ),
    ),
}

# Score ranges by survey kind (CSAT 1–5, NPS 0–10), checked after both columns parse.
SURVEY_SCORE_RANGE = {"csat": (1, 5), "nps": (0, 10)}


def get_spec(entity: str) -> EntitySpec:
    """Spec for an entity name, or a clear error listing the known ones."""
    try:
        return SPECS[entity]
    except KeyError:
        raise UnknownEntityError(f"unknown entity {entity!r}; expected one of: {', '.join(SPECS)}") from None
