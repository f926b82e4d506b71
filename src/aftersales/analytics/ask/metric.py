"""Words for KPIs and dimensions in Chinese and English: the synonym tables the question parser matches against.

Every registry KPI has synonyms here (a test checks). Words for metrics we do not compute are listed too, so a
question about 销售额 or 退货量 is refused with close suggestions instead of being misread as a KPI that shares a word.
"""

from __future__ import annotations

from collections.abc import Iterable

METRIC_SYNONYMS: dict[str, tuple[str, ...]] = {
    "return_rate": ("退货率", "退货比例", "退货比率", "退货占比", "退货率是", "return rate", "return rates",
                    "returns rate", "rate of returns", "return ratio"),
    "exchange_rate": ("换货率", "换货比例", "换货比率", "换货占比", "exchange rate", "exchange rates",
                      "rate of exchanges"),
    "refund_amount": ("退款金额", "退款额", "退款总额", "退款总金额", "退款", "退了多少钱", "refund amount",
                      "refund amounts", "refunds", "refunded amount", "refund total", "refund value", "refund",
                      "amount refunded"),
    "complaint_volume": ("投诉量", "投诉数", "投诉数量", "投诉件数", "工单量", "工单数", "工单数量", "投诉/工单量",
                         "投诉工单量", "客诉量", "客诉数", "案件量", "投诉", "工单", "客诉", "complaint volume",
                         "complaints", "number of complaints", "case volume", "cases", "number of cases",
                         "tickets", "ticket volume", "number of tickets", "complaint count"),
    "complaint_rate": ("投诉率", "客诉率", "工单率", "complaint rate", "complaint rates", "complaints per order"),
    "csat": ("满意度", "客户满意度", "顾客满意度", "满意度评分", "满意度得分", "满意分", "csat",
             "customer satisfaction", "satisfaction score", "satisfaction"),
    "nps": ("净推荐值", "净推荐分", "净推荐", "推荐值", "nps", "net promoter score", "net promoter"),
    "first_contact_resolution": ("一次解决率", "首次解决率", "一次性解决率", "首问解决率", "一次解决", "fcr",
                                 "first contact resolution", "first-contact resolution", "first call resolution",
                                 "first contact resolution rate"),
    "first_response_minutes": ("首次响应时长", "首次响应时间", "首响时长", "首响时间", "首响", "响应时长",
                               "响应时间", "响应速度", "回复速度", "first response time", "first response",
                               "first-response time", "response time", "time to first response",
                               "first response minutes"),
    "first_response_minutes_p50": ("首响中位数", "median first response time", "median response time"),
    "first_response_minutes_p90": ("首响p90", "p90 first response time", "p90 response time"),
    "resolution_hours": ("解决时长", "解决时间", "处理时长", "处理时间", "处理速度", "解决速度", "resolution time",
                         "time to resolution", "time to resolve", "resolution hours", "handling time"),
    "resolution_hours_p50": ("median resolution time", "median time to resolution"),
    "resolution_hours_p90": ("p90 resolution time",),
    "sla_compliance": ("首响 sla 达成率", "首响sla达成率", "sla达成率", "sla 达成率", "sla达标率", "sla合规率",
                       "sla", "及时响应率", "sla compliance", "sla attainment", "sla rate", "sla compliance rate"),
    "reopen_rate": ("重开率", "重新打开率", "复开率", "重开", "reopen rate", "reopen rates", "reopened rate",
                    "reopens", "reopening rate"),
    "escalation_rate": ("投诉升级率", "升级率", "升级比例", "升级投诉率", "escalation rate", "escalation rates",
                        "escalations"),
    "negative_share": ("负面情绪占比", "负面情绪比例", "负面情绪率", "负面占比", "负面比例", "负面率", "负面情绪",
                       "negative share", "negative sentiment share", "negative sentiment", "share of negative",
                       "negative rate", "negativity"),
    "emotion_recovery_rate": ("情绪修复率", "情绪恢复率", "情绪挽回率", "情绪修复", "emotion recovery rate",
                              "emotion recovery", "sentiment recovery rate", "recovery rate"),
    "repurchase_rate": ("退货后复购率", "复购率", "回购率", "再购率", "复购", "repurchase rate", "repurchase",
                        "repeat purchase rate", "buy-again rate", "repurchase after return"),
    "churn_rate": ("客户流失率", "流失率", "流失", "churn rate", "churn", "attrition rate", "attrition"),
}  # fmt: skip

# A percentile modifier anywhere in the question turns a duration KPI into its percentile sibling.
PERCENTILE_WORDS: dict[str, tuple[str, ...]] = {
    "p50": ("中位数", "中位值", "50分位", "p50", "median"),
    "p90": ("90分位", "九十分位", "p90", "90th percentile", "90th-percentile"),
}

UNSUPPORTED_METRICS: tuple[str, ...] = (
    "退货量", "退货数", "退货数量", "退货单量", "退货件数", "退货次数", "退款率", "退款笔数", "销售额", "销量",
    "成交额", "营业额", "订单量", "订单数", "gmv", "利润", "毛利", "库存", "转化率", "客单价", "好评率", "差评率",
    "点击率", "流量", "访客数", "return count", "number of returns", "returns count", "sales", "revenue", "profit",
    "gmv", "inventory", "stock", "conversion rate", "order count", "number of orders", "average order value",
)  # fmt: skip
"""Metric words we recognise but do not compute: the parser refuses them rather than guessing."""

DIMENSION_WORDS: dict[str, tuple[str, ...]] = {
    "region": ("地区", "区域", "大区", "片区", "各区", "region", "regions", "area", "areas"),
    "category": ("品类", "类目", "类别", "商品类别", "商品品类", "产品类别", "产品类目", "category", "categories",
                 "product category", "product categories"),
    "sku": ("sku", "skus", "商品", "单品", "产品", "货品", "款", "product", "products", "item", "items"),
    "channel": ("渠道", "店铺", "平台", "销售渠道", "联系渠道", "进线渠道", "来源渠道", "channel", "channels",
                "store", "stores", "platform", "platforms"),
    "queue": ("队列", "客服组", "客服队列", "处理队列", "小组", "queue", "queues", "team", "teams"),
    "reason": ("原因", "退货原因", "问题原因", "售后原因", "理由", "reason", "reasons", "cause",
               "causes", "return reason", "return reasons"),
    "tier": ("会员等级", "会员级别", "客户等级", "客户类型", "会员类型", "客户分层", "等级", "tier", "tiers",
             "membership tier", "customer tier", "customer tiers", "customer type", "membership level"),
}  # fmt: skip

DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    "region": ("地区", "region"),
    "category": ("品类", "category"),
    "sku": ("商品", "SKU"),
    "channel": ("渠道", "channel"),
    "queue": ("队列", "queue"),
    "reason": ("原因", "reason"),
    "tier": ("会员等级", "tier"),
}

SUFFIXES: dict[str, tuple[str, ...]] = {
    "region": ("地区", "区域", "大区", "片区", "区", "region", "area"),
    "category": ("品类", "类目", "类", "category", "products"),
    "channel": ("渠道", "店铺", "平台", "channel", "store"),
    "queue": ("队列", "组", "queue", "team", "desk"),
    "reason": ("原因", "reason", "reasons"),
    "tier": ("会员", "客户", "用户", "等级", "customers", "members", "tier"),
    "sku": ("商品", "sku", "product"),
}
"""Words that qualify a filter value ("华东地区", "VIP 客户"): consumed with the value, so they are no breakdown."""

# English (and short Chinese) names for values the store keeps in Chinese or as codes.
VALUE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "category": {
        "服装": ("apparel", "clothing", "clothes", "fashion"), "鞋靴": ("shoes", "footwear", "鞋子", "鞋"),
        "美妆": ("beauty", "cosmetics", "makeup", "化妆品", "彩妆"), "家居": ("home", "home goods", "household"),
        "小家电": ("small appliances", "appliances", "家电"),
        "手机配件": ("phone accessories", "mobile accessories", "数码配件"),
        "母婴": ("baby", "mother and baby", "mother & baby", "maternity", "婴童"),
    },
    "channel": {
        "天猫旗舰店": ("天猫", "tmall"), "京东自营": ("京东", "jd", "jd.com"), "抖音小店": ("抖音", "douyin"),
        "微信小程序": ("小程序", "微信", "wechat", "wechat mini program", "mini program"),
        "官网": ("官方网站", "official website", "website", "web store"),
        "return_form": ("退货单", "return forms"), "social": ("社媒", "微博", "social"),
        "review": ("评价", "reviews"), "chat": ("在线", "在线咨询", "live chat", "online chat"),
        "phone": ("电话客服", "热线", "phone calls", "calls"), "email": ("邮箱", "e-mail", "emails"),
        "ticket": ("tickets",),
    },
    "reason": {
        "quality_defect": ("质量", "质量差", "有瑕疵", "坏了", "quality", "defect", "defects", "defective"),
        "counterfeit": ("假货", "非正品", "fake", "fakes"), "damaged_in_transit": ("破损", "运输损坏", "damaged"),
        "wrong_item": ("错发", "发错", "wrong items"), "missing_parts": ("少件", "漏发", "少发", "missing items"),
        "not_as_described": ("描述不符", "货不对板", "not as described"),
        "size_fit": ("尺码", "尺码问题", "尺寸不合适", "不合身", "sizing", "size"),
        "logistics_delay": ("物流慢", "发货慢", "快递慢", "延迟发货", "late delivery", "delivery delay",
                            "shipping delay"),
        "hard_to_use": ("不会用", "难用", "difficult to use"),
        "changed_mind": ("不想要", "不喜欢", "changed their mind"),
        "price": ("价格", "降价", "价保", "pricing", "price drop"),
        "service_attitude": ("态度", "服务差", "rude service"),
    },
    "tier": {
        "vip": ("vip", "vip客户", "vip会员", "vip customers", "vips", "贵宾"),
        "regular": ("普通", "普通会员", "普通客户", "普通用户", "regular customers", "regular members", "非vip"),
    },
}  # fmt: skip


def metric_entries(known: Iterable[str]) -> list[tuple[str, str]]:
    """(synonym, KPI name) for the synonyms of KPIs in `known` (plus each KPI's own code name)."""
    names = set(known)
    entries = [(word, name) for name, words in METRIC_SYNONYMS.items() if name in names for word in words]
    entries += [(name, name) for name in names] + [(name.replace("_", " "), name) for name in names]
    return entries


def percentile_variant(name: str, modifier: str, known: Iterable[str]) -> str:
    """`first_response_minutes` + "p90" → `first_response_minutes_p90` when that KPI exists, else `name`."""
    base = name.removesuffix("_p50").removesuffix("_p90")
    candidate = f"{base}_{modifier}"
    return candidate if candidate in set(known) else name
