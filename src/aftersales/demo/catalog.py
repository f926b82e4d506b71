"""The demo merchant's (演示商户) fixed world: regions, categories, ~60 SKUs, reason mixes, promo calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aftersales.vocab import Reason

MERCHANT_ZH = "演示商户"
MERCHANT_EN = "Demo Merchant"
SYNTHETIC_NOTE = (
    "演示商户 / demo merchant: 本数据集完全为程序合成的虚构数据，人名、电话、邮箱、订单均为假数据。"
    " All data in this set is SYNTHETIC and fictitious (names, phones, e-mails and orders are fake)."
)

# Share of customers per sales region: the populous east and south dominate, north-west and north-east trail.
REGIONS: tuple[str, ...] = ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
REGION_WEIGHTS: tuple[float, ...] = (0.30, 0.20, 0.16, 0.12, 0.10, 0.06, 0.06)
# Mean courier transit days per region; remote regions take longer.
REGION_TRANSIT_DAYS: tuple[float, ...] = (1.0, 1.6, 1.5, 1.8, 2.4, 3.4, 3.0)

CATEGORIES: tuple[str, ...] = ("服装", "手机配件", "美妆", "小家电", "鞋靴", "家居", "母婴")
CATEGORY_EN: dict[str, str] = {
    "服装": "apparel",
    "手机配件": "phone accessories",
    "美妆": "beauty",
    "小家电": "small appliances",
    "鞋靴": "shoes",
    "家居": "home",
    "母婴": "mother & baby",
}
CATEGORY_WEIGHTS: tuple[float, ...] = (0.24, 0.16, 0.13, 0.14, 0.12, 0.12, 0.09)
# Baseline probability that an order of the category is returned (any reason).
CATEGORY_RETURN_RATE: dict[str, float] = {
    "服装": 0.13,
    "手机配件": 0.06,
    "美妆": 0.04,
    "小家电": 0.07,
    "鞋靴": 0.12,
    "家居": 0.06,
    "母婴": 0.05,
}

ORDER_CHANNELS: tuple[str, ...] = ("天猫旗舰店", "京东自营", "抖音小店", "微信小程序", "官网")
ORDER_CHANNEL_WEIGHTS: tuple[float, ...] = (0.38, 0.27, 0.17, 0.12, 0.06)


@dataclass(frozen=True)
class Sku:
    """One product: ids, display names (full, short for chat, English) and commercial parameters."""

    sku: str
    name: str
    short: str
    en: str
    category: str
    price: float
    popularity: float = 1.0
    return_factor: float = 1.0


def _s(sku: str, name: str, short: str, en: str, cat: str, price: float, pop: float = 1.0, rf: float = 1.0) -> Sku:
    return Sku(sku, name, short, en, cat, price, pop, rf)


SKUS: tuple[Sku, ...] = (
    # 小家电
    _s("HA-101", "栖木 多功能破壁料理机 PB-200", "破壁机", "blender PB-200", "小家电", 399.0, 3.0, 1.4),
    _s("HA-102", "栖木 智能电饭煲 3L", "电饭煲", "3L rice cooker", "小家电", 299.0, 3.0, 1.4),
    _s("HA-103", "栖木 便携挂脖风扇", "挂脖风扇", "neck fan", "小家电", 79.0, 1.2),
    _s("HA-104", "栖木 负离子速干吹风机", "吹风机", "ionic hair dryer", "小家电", 189.0, 1.1),
    _s("HA-105", "栖木 可视空气炸锅 5L", "空气炸锅", "5L air fryer", "小家电", 349.0, 1.2),
    _s("HA-106", "栖木 恒温电热水壶 1.7L", "电热水壶", "electric kettle", "小家电", 129.0, 1.0),
    _s("HA-107", "栖木 扫拖一体扫地机器人 S7", "扫地机器人", "robot vacuum S7", "小家电", 1599.0, 0.6, 1.2),
    _s("HA-108", "栖木 手持挂烫机", "挂烫机", "garment steamer", "小家电", 159.0, 0.8),
    _s("HA-109", "栖木 桌面静音加湿器", "加湿器", "desk humidifier", "小家电", 99.0, 0.9),
    # 手机配件
    _s("MA-201", "疾风 20W PD快充充电头", "充电头", "20W charger", "手机配件", 39.0, 1.5),
    _s("MA-202", "疾风 Type-C编织数据线 1.5米", "数据线", "USB-C cable", "手机配件", 25.0, 1.6),
    _s(
        "MA-203",
        "疾风 降噪真无线蓝牙耳机 Air3",
        "蓝牙耳机",
        "wireless earbuds Air3",
        "手机配件",
        229.0,
        1.2,
        1.3,
    ),
    _s("MA-204", "疾风 磁吸无线充电宝 10000mAh", "充电宝", "magnetic power bank", "手机配件", 149.0, 1.1),
    _s("MA-205", "疾风 高清钢化膜（2片装）", "钢化膜", "screen protector (2-pack)", "手机配件", 19.9, 1.4),
    _s("MA-206", "疾风 透明防摔手机壳", "手机壳", "clear phone case", "手机配件", 29.0, 1.4),
    _s("MA-207", "疾风 车载重力手机支架", "车载支架", "car phone mount", "手机配件", 49.0, 0.8),
    _s("MA-208", "疾风 折叠桌面手机支架", "桌面支架", "desk phone stand", "手机配件", 35.0, 0.7),
    _s("MA-209", "疾风 蓝牙自拍杆三脚架", "自拍杆", "selfie stick tripod", "手机配件", 69.0, 0.6),
    # 服装
    _s("AP-301", "云裳 纯棉圆领短袖T恤", "T恤", "cotton T-shirt", "服装", 69.0, 1.6),
    _s("AP-302", "云裳 冰丝垂感阔腿裤", "阔腿裤", "wide-leg trousers", "服装", 119.0, 1.2),
    _s("AP-303", "云裳 加绒连帽卫衣", "卫衣", "fleece hoodie", "服装", 159.0, 1.2),
    _s("AP-304", "云裳 轻薄白鸭绒羽绒服", "羽绒服", "light down jacket", "服装", 499.0, 0.9, 1.1),
    _s("AP-305", "云裳 法式碎花连衣裙", "连衣裙", "floral dress", "服装", 229.0, 1.1, 1.2),
    _s("AP-306", "云裳 高腰修身牛仔裤", "牛仔裤", "slim jeans", "服装", 179.0, 1.1),
    _s("AP-307", "云裳 UPF50+冰丝防晒衣", "防晒衣", "sun-protection jacket", "服装", 129.0, 1.0),
    _s("AP-308", "云裳 慵懒风针织开衫", "开衫", "knit cardigan", "服装", 189.0, 0.8),
    _s("AP-309", "云裳 男士免烫商务衬衫", "衬衫", "non-iron shirt", "服装", 199.0, 0.8),
    # 鞋靴
    _s("SH-401", "步履 轻弹透气跑步鞋", "跑鞋", "running shoes", "鞋靴", 329.0, 1.3),
    _s("SH-402", "步履 百搭小白板鞋", "小白鞋", "white sneakers", "鞋靴", 199.0, 1.4),
    _s("SH-403", "步履 真皮切尔西短靴", "切尔西靴", "Chelsea boots", "鞋靴", 459.0, 0.8),
    _s("SH-404", "步履 软底一脚蹬乐福鞋", "乐福鞋", "loafers", "鞋靴", 239.0, 0.9),
    _s("SH-405", "步履 EVA洞洞鞋", "洞洞鞋", "clogs", "鞋靴", 89.0, 1.1),
    _s("SH-406", "步履 加厚防滑雪地靴", "雪地靴", "snow boots", "鞋靴", 269.0, 0.8),
    _s("SH-407", "步履 增高老爹鞋", "老爹鞋", "chunky sneakers", "鞋靴", 289.0, 0.9),
    _s("SH-408", "步履 居家防滑凉拖", "拖鞋", "slides", "鞋靴", 39.0, 1.0),
    # 美妆
    _s("BE-501", "素颜 玻尿酸保湿精华水", "精华水", "hydrating essence", "美妆", 189.0, 1.2),
    _s("BE-502", "素颜 氨基酸洁面乳", "洗面奶", "amino-acid cleanser", "美妆", 69.0, 1.4),
    _s("BE-503", "素颜 丝绒哑光口红 #08", "口红", "matte lipstick #08", "美妆", 129.0, 1.2),
    _s("BE-504", "素颜 水光气垫BB霜", "气垫", "cushion BB cream", "美妆", 169.0, 1.0),
    _s("BE-505", "素颜 清透防晒霜 SPF50+", "防晒霜", "sunscreen SPF50+", "美妆", 99.0, 1.2),
    _s("BE-506", "素颜 温和卸妆水 500ml", "卸妆水", "micellar water", "美妆", 79.0, 1.0),
    _s("BE-507", "素颜 补水修护面膜（10片）", "面膜", "sheet masks (10)", "美妆", 89.0, 1.1),
    _s("BE-508", "素颜 大地色九宫格眼影盘", "眼影盘", "eyeshadow palette", "美妆", 139.0, 0.8),
    # 家居
    _s("HO-601", "栖木 慢回弹记忆棉枕", "记忆棉枕", "memory-foam pillow", "家居", 159.0, 1.1),
    _s("HO-602", "栖木 全棉磨毛四件套", "四件套", "cotton bedding set", "家居", 299.0, 1.0),
    _s("HO-603", "栖木 可折叠收纳箱（3个装）", "收纳箱", "foldable storage boxes", "家居", 79.0, 1.2),
    _s("HO-604", "栖木 北欧风落地灯", "落地灯", "floor lamp", "家居", 259.0, 0.7, 1.3),
    _s("HO-605", "栖木 实木床头柜（需安装）", "床头柜", "bedside table (assembly)", "家居", 399.0, 0.6, 1.3),
    _s("HO-606", "栖木 304不锈钢不粘炒锅", "炒锅", "non-stick wok", "家居", 219.0, 1.0),
    _s("HO-607", "栖木 真空保温杯 500ml", "保温杯", "vacuum flask", "家居", 89.0, 1.3),
    _s("HO-608", "栖木 懒人豆袋沙发", "懒人沙发", "bean-bag sofa", "家居", 329.0, 0.6),
    _s("HO-609", "栖木 免打孔浴室置物架", "置物架", "bathroom shelf", "家居", 59.0, 1.0),
    # 母婴
    _s("BA-701", "贝贝乐 超薄透气纸尿裤 L码", "纸尿裤", "diapers size L", "母婴", 139.0, 1.4),
    _s("BA-702", "贝贝乐 宽口径防胀气奶瓶", "奶瓶", "anti-colic baby bottle", "母婴", 99.0, 1.1),
    _s("BA-703", "贝贝乐 一键折叠轻便婴儿推车", "婴儿推车", "foldable stroller", "母婴", 899.0, 0.6, 1.2),
    _s("BA-704", "贝贝乐 儿童安全座椅 ISOFIX", "安全座椅", "child car seat", "母婴", 1299.0, 0.5, 1.2),
    _s("BA-705", "贝贝乐 婴儿手口湿巾（80抽×6包）", "湿巾", "baby wipes (6×80)", "母婴", 49.0, 1.3),
    _s("BA-706", "贝贝乐 宝宝辅食料理机", "辅食机", "baby food maker", "母婴", 259.0, 0.7),
    _s("BA-707", "贝贝乐 儿童吸管保温杯", "儿童水杯", "kids' straw bottle", "母婴", 79.0, 1.0),
    _s("BA-708", "贝贝乐 纯棉婴儿连体衣", "连体衣", "baby romper", "母婴", 69.0, 1.0),
)
SKU_BY_ID: dict[str, Sku] = {s.sku: s for s in SKUS}

# Planted truth 2: the manual-redesign SKU and a comparable placebo SKU that gets no action.
IMPROVED_SKU = "HA-101"
PLACEBO_SKU = "HA-102"
# Planted truth 1: the region whose logistics partner fails for a few weeks.
SPIKE_REGION = "西南"
SPIKE_PARTNER = "速达物流（虚构）西南分拨中心"

R = Reason
_BASE_MIX: dict[str, dict[Reason, float]] = {
    "服装": {
        R.SIZE_FIT: 42, R.NOT_AS_DESCRIBED: 16, R.CHANGED_MIND: 14, R.QUALITY_DEFECT: 10, R.WRONG_ITEM: 4,
        R.LOGISTICS_DELAY: 3, R.PRICE: 3, R.OTHER: 3, R.DAMAGED_IN_TRANSIT: 2, R.MISSING_PARTS: 1,
        R.COUNTERFEIT: 1, R.SERVICE_ATTITUDE: 1,
    },
    "鞋靴": {
        R.SIZE_FIT: 45, R.QUALITY_DEFECT: 12, R.CHANGED_MIND: 12, R.NOT_AS_DESCRIBED: 10, R.WRONG_ITEM: 4,
        R.DAMAGED_IN_TRANSIT: 3, R.LOGISTICS_DELAY: 3, R.COUNTERFEIT: 3, R.PRICE: 3, R.OTHER: 3,
        R.MISSING_PARTS: 1, R.SERVICE_ATTITUDE: 1,
    },
    "小家电": {
        R.QUALITY_DEFECT: 30, R.HARD_TO_USE: 20, R.NOT_AS_DESCRIBED: 10, R.DAMAGED_IN_TRANSIT: 10,
        R.CHANGED_MIND: 8, R.MISSING_PARTS: 7, R.LOGISTICS_DELAY: 4, R.WRONG_ITEM: 3, R.PRICE: 3,
        R.OTHER: 3, R.SERVICE_ATTITUDE: 2,
    },
    "手机配件": {
        R.QUALITY_DEFECT: 32, R.NOT_AS_DESCRIBED: 14, R.CHANGED_MIND: 10, R.HARD_TO_USE: 8, R.WRONG_ITEM: 7,
        R.COUNTERFEIT: 6, R.DAMAGED_IN_TRANSIT: 5, R.LOGISTICS_DELAY: 5, R.MISSING_PARTS: 4, R.PRICE: 4,
        R.OTHER: 3, R.SERVICE_ATTITUDE: 2,
    },
    "美妆": {
        R.NOT_AS_DESCRIBED: 15, R.QUALITY_DEFECT: 15, R.COUNTERFEIT: 15, R.CHANGED_MIND: 15,
        R.DAMAGED_IN_TRANSIT: 10, R.WRONG_ITEM: 7, R.PRICE: 6, R.OTHER: 6, R.LOGISTICS_DELAY: 5,
        R.MISSING_PARTS: 3, R.SERVICE_ATTITUDE: 3,
    },
    "母婴": {
        R.QUALITY_DEFECT: 28, R.NOT_AS_DESCRIBED: 12, R.SIZE_FIT: 10, R.DAMAGED_IN_TRANSIT: 10,
        R.CHANGED_MIND: 10, R.HARD_TO_USE: 8, R.MISSING_PARTS: 6, R.LOGISTICS_DELAY: 6, R.WRONG_ITEM: 4,
        R.OTHER: 4, R.SERVICE_ATTITUDE: 2,
    },
    "家居": {
        R.DAMAGED_IN_TRANSIT: 26, R.QUALITY_DEFECT: 18, R.MISSING_PARTS: 12, R.NOT_AS_DESCRIBED: 12,
        R.CHANGED_MIND: 10, R.HARD_TO_USE: 6, R.LOGISTICS_DELAY: 6, R.WRONG_ITEM: 4, R.OTHER: 4,
        R.PRICE: 2,
    },
}  # fmt: skip
# SKU-level overrides where a product has its own story (the planted SKU pair is hard to use).
_SKU_MIX: dict[str, dict[Reason, float]] = {
    IMPROVED_SKU: {R.HARD_TO_USE: 55, R.QUALITY_DEFECT: 18, R.NOT_AS_DESCRIBED: 8, R.DAMAGED_IN_TRANSIT: 7,
                   R.CHANGED_MIND: 6, R.MISSING_PARTS: 4, R.OTHER: 2},
    PLACEBO_SKU: {R.HARD_TO_USE: 50, R.QUALITY_DEFECT: 22, R.NOT_AS_DESCRIBED: 8, R.DAMAGED_IN_TRANSIT: 7,
                  R.CHANGED_MIND: 7, R.MISSING_PARTS: 4, R.OTHER: 2},
    "HA-107": {R.HARD_TO_USE: 30, R.QUALITY_DEFECT: 35, R.NOT_AS_DESCRIBED: 12, R.DAMAGED_IN_TRANSIT: 8,
               R.MISSING_PARTS: 6, R.CHANGED_MIND: 6, R.OTHER: 3},
    "HO-605": {R.MISSING_PARTS: 30, R.DAMAGED_IN_TRANSIT: 25, R.HARD_TO_USE: 20, R.QUALITY_DEFECT: 15,
               R.CHANGED_MIND: 6, R.OTHER: 4},
    "BE-503": {R.NOT_AS_DESCRIBED: 35, R.COUNTERFEIT: 20, R.CHANGED_MIND: 20, R.QUALITY_DEFECT: 10,
               R.DAMAGED_IN_TRANSIT: 10, R.OTHER: 5},
}  # fmt: skip
REASONS: tuple[Reason, ...] = tuple(Reason)


def reason_mix(sku: Sku) -> list[float]:
    """Normalised reason probabilities for one SKU, in `REASONS` order."""
    mix = _SKU_MIX.get(sku.sku, _BASE_MIX[sku.category])
    total = sum(mix.values())
    return [mix.get(r, 0.0) / total for r in REASONS]


# 年货节 follows the Spring Festival, whose Gregorian date moves every year.
SPRING_FESTIVAL: dict[int, dt.date] = {
    2020: dt.date(2020, 1, 25), 2021: dt.date(2021, 2, 12), 2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22), 2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17), 2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13), 2030: dt.date(2030, 2, 3), 2031: dt.date(2031, 1, 23),
    2032: dt.date(2032, 2, 11), 2033: dt.date(2033, 1, 31), 2034: dt.date(2034, 2, 19),
    2035: dt.date(2035, 2, 8),
}  # fmt: skip


def spring_festival(year: int) -> dt.date:
    """Spring Festival date of a year (1 February when outside the table)."""
    return SPRING_FESTIVAL.get(year, dt.date(year, 2, 1))


def promotion_windows(year: int) -> list[tuple[str, dt.date, dt.date, float, float]]:
    """(name, first day, last day, demand multiplier, multiplier on the final peak days) for one year."""
    sf = spring_festival(year)
    return [
        ("年货节", sf - dt.timedelta(days=26), sf - dt.timedelta(days=9), 1.5, 1.8),
        ("618", dt.date(year, 6, 1), dt.date(year, 6, 18), 1.6, 3.5),
        ("双11", dt.date(year, 10, 31), dt.date(year, 11, 11), 1.8, 6.0),
        ("双12", dt.date(year, 12, 10), dt.date(year, 12, 12), 2.2, 2.6),
    ]


# Monday … Sunday demand: weekends and Monday evenings sell more.
WEEKDAY_FACTOR: tuple[float, ...] = (1.02, 0.93, 0.92, 0.95, 1.0, 1.12, 1.16)
# Hour-of-day order shares (evening peak, quiet nights).
HOUR_WEIGHTS: tuple[float, ...] = (
    2.2, 1.2, 0.6, 0.3, 0.2, 0.2, 0.4, 1.0, 2.2, 3.4, 4.4, 4.8, 5.2, 4.6, 4.4, 4.6, 4.8, 4.8, 4.6,
    5.6, 7.2, 8.2, 7.6, 4.8,
)  # fmt: skip

SIZES_APPAREL: tuple[str, ...] = ("S", "M", "L", "XL", "XXL")
SIZES_SHOES: tuple[str, ...] = ("35", "36", "37", "38", "39", "40", "41", "42", "43", "44")
