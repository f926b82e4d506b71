"""Header aliases: common Chinese and English column names mapped to canonical ones (docs/data.md lists them)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping

from aftersales.errors import ColumnMappingError
from aftersales.ingest.schema import EntitySpec

# canonical column → accepted header spellings (compared after normalise_header).
ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "客户id",
        "客户编号",
        "客户号",
        "用户id",
        "会员id",
        "买家id",
        "顾客id",
        "customerid",
        "userid",
        "buyerid",
        "客户",
    ),
    "name": ("姓名", "客户姓名", "客户名称", "名字", "昵称", "customername", "fullname"),
    "tier": ("会员等级", "等级", "客户等级", "vip等级", "level", "membership"),
    "region": ("地区", "区域", "大区", "省份", "所在地区", "area", "country", "国家"),
    "joined_at": ("注册时间", "入会时间", "注册日期", "signupdate", "createdat", "registeredat"),
    "phone": ("电话", "手机", "手机号", "联系电话", "mobile", "tel", "phonenumber"),
    "email": ("邮箱", "电子邮件", "邮件地址", "mail", "emailaddress"),
    "order_id": ("订单号", "订单编号", "订单id", "orderno", "ordernumber", "invoiceno", "invoice"),
    "ordered_at": (
        "下单时间",
        "订单时间",
        "下单日期",
        "购买时间",
        "orderdate",
        "orderedat",
        "purchasedat",
        "invoicedate",
    ),
    "sku": ("商品编码", "商品id", "sku编码", "货号", "stockcode", "productid", "itemid"),
    "product_name": ("商品名称", "商品名", "产品名称", "品名", "productname", "description", "itemname"),
    "category": ("品类", "类目", "商品类目", "分类", "商品分类", "productcategory", "cat"),
    "channel": ("渠道", "来源渠道", "销售渠道", "平台", "来源", "source"),
    "quantity": ("数量", "购买数量", "件数", "qty"),
    "amount": ("金额", "订单金额", "实付金额", "支付金额", "总价", "price", "total", "ordervalue"),
    "delivered_at": ("签收时间", "送达时间", "收货时间", "deliverydate", "deliveredat"),
    "promised_at": (
        "承诺送达时间",
        "预计送达时间",
        "预计到达时间",
        "承诺发货时间",
        "estimateddeliverydate",
        "orderestimateddeliverydate",
        "promiseddate",
        "eta",
    ),
    "item_id": ("明细id", "订单明细id", "明细编号", "退货明细id", "lineid", "orderitemkey"),
    "line_no": ("行号", "明细行号", "行项目", "序号", "lineno", "linenumber", "orderitemid", "itemno"),
    # "price" on a line-item file is the unit price; unit_price precedes amount there, so it claims it first.
    "unit_price": ("单价", "商品单价", "销售单价", "成交单价", "unitprice", "priceperunit", "price"),
    "promotion": ("促销", "活动", "促销活动", "大促", "campaign", "promo"),
    "return_id": ("退货单号", "退货id", "售后单号", "退款单号", "售后编号", "rmaid", "rma", "returnno"),
    "requested_at": ("申请时间", "退货时间", "售后申请时间", "退款申请时间", "requestdate", "returndate"),
    "type": ("售后类型", "退换类型", "类型", "服务类型", "returntype"),
    "reason_code": ("退货原因", "退货原因代码", "原因代码", "原因", "售后原因", "reason", "returnreason"),
    "reason_text": ("原因描述", "问题描述", "退货说明", "退货描述", "详细原因", "reasondetail", "comments"),
    "status": ("状态", "处理状态", "售后状态", "退货状态", "state"),
    "resolved_at": ("完成时间", "处理完成时间", "解决时间", "closedat", "resolveddate"),
    "refund_amount": ("退款金额", "退款", "refund", "refundamt"),
    "interaction_id": ("消息id", "会话id", "记录id", "留言id", "工单号", "messageid", "msgid", "ticketid"),
    "text": (
        "内容",
        "消息内容",
        "聊天内容",
        "留言",
        "评价内容",
        "文本",
        "正文",
        "对话内容",
        "message",
        "content",
        "body",
        "review",
        "comment",
    ),
    "created_at": (
        "创建时间",
        "时间",
        "发送时间",
        "消息时间",
        "评价时间",
        "日期",
        "timestamp",
        "time",
        "date",
        "sentat",
    ),
    "case_id": ("案件id", "工单id", "服务单号", "ticket"),
    "author": ("发送方", "发送者", "角色", "sender", "role", "from"),
    "language": ("语言", "lang"),
    "survey_id": ("问卷id", "调查id", "回访id", "surveyno", "responseid"),
    "kind": ("问卷类型", "调查类型", "surveytype", "type"),
    "score": ("评分", "分数", "满意度", "打分", "星级", "rating", "reviewscore"),
    "answered_at": ("回答时间", "提交时间", "评分时间", "回访时间", "answerdate", "submittedat"),
    "comment": ("评语", "意见", "反馈内容", "备注", "remarks", "feedback"),
    "article_id": ("文章id", "知识id", "知识编号", "articleno", "kbid", "id"),
    "title": ("标题", "问题", "知识标题", "question", "subject"),
    "body": ("内容", "正文", "答案", "解答", "answer", "content", "text"),
    "tags": ("标签", "关键词", "keywords", "tag"),
}

_PUNCT = re.compile(r"[\s_\-./()（）【】\[\]:：]+")


def normalise_header(header: str) -> str:
    """Fold width and case, drop BOMs, spaces, underscores and brackets so '订单 ID（必填）' ~ '订单id必填'."""
    text = unicodedata.normalize("NFKC", str(header)).replace("\ufeff", "").strip().lower()
    return _PUNCT.sub("", text)


def parse_map_options(options: Iterable[str]) -> dict[str, str]:
    """Turn --map 'src=dst' options into a dict, failing clearly on a malformed one."""
    result: dict[str, str] = {}
    for opt in options:
        if "=" not in opt:
            raise ColumnMappingError(f"--map {opt!r}: expected SOURCE=CANONICAL, e.g. --map 买家旺旺=customer_id")
        src, dst = (part.strip() for part in opt.split("=", 1))
        if not src or not dst:
            raise ColumnMappingError(f"--map {opt!r}: both sides of '=' must be non-empty")
        result[src] = dst
    return result


def resolve_columns(
    headers: list[str], spec: EntitySpec, explicit: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Map file headers to canonical columns; returns (header → canonical, ignored headers).

    Precedence per header: an explicit --map, then an exact canonical name, then an alias. The first header
    claiming a canonical column wins; later claimants are ignored (and reported) rather than silently merged.
    """
    explicit = dict(explicit or {})
    known = set(spec.names)
    for src, dst in explicit.items():
        if dst not in known:
            raise ColumnMappingError(
                f"--map {src}={dst}: {dst!r} is not a column of {spec.name}; columns: {', '.join(spec.names)}"
            )
        if src not in headers:
            raise ColumnMappingError(f"--map {src}={dst}: the file has no column {src!r}; it has: {headers}")
    alias_index: dict[str, str] = {}
    for canonical in spec.names:
        alias_index.setdefault(normalise_header(canonical), canonical)
    for canonical in spec.names:
        for alias in ALIASES.get(canonical, ()):
            alias_index.setdefault(normalise_header(alias), canonical)

    mapping: dict[str, str] = {}
    claimed: set[str] = set()
    for header in headers:
        if header in explicit:
            mapping[header] = explicit[header]
            claimed.add(explicit[header])
    for header in headers:
        if header in mapping:
            continue
        found = alias_index.get(normalise_header(header))
        if found and found not in claimed:
            mapping[header] = found
            claimed.add(found)
    missing = [c for c in spec.required if c not in claimed]
    if missing:
        hints = []
        for col in missing:
            close = difflib.get_close_matches(col, headers, n=1, cutoff=0.5)
            hints.append(f"{col}" + (f" (did you mean --map {close[0]}={col}?)" if close else ""))
        raise ColumnMappingError(
            f"{spec.name}: required column(s) missing: {', '.join(hints)}. File headers: {headers}. "
            f"Use --map SOURCE=CANONICAL or a header from the alias table in docs/data.md."
        )
    ignored = [h for h in headers if h not in mapping]
    return mapping, ignored
