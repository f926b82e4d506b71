"""The demo merchant's small knowledge base (zh and en),
so agents' hints and retrieval have something to find."""

from __future__ import annotations

_FOOTER_ZH = "（本文为演示商户的虚构内容，仅用于演示。）"
_FOOTER_EN = "(Fictitious content of the demo merchant, for demonstration only.)"

# (id, language, title, tags, body)
_ARTICLES: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "KB-001",
        "zh",
        "退货政策（7天无理由）",
        "退货,政策,七天无理由,changed_mind",
        (
            "签收之日起7天内，商品不影响二次销售（吊牌、包装、配件齐全）即可申请无理由退货。定制商品、贴身"
            "衣物、已拆封的美妆个护除外。无理由退货的寄回运费由顾客承担；质量问题、发错货、运输破损的运费由"
            "我们承担。申请入口：订单详情 → 申请售后。"
        ),
    ),
    (
        "KB-002",
        "zh",
        "换货流程",
        "换货,exchange,尺码,size_fit",
        (
            "在订单详情页选择“换货”，填写新的尺码或颜色并上传照片。仓库收到退回商品后24小时内发出新商品；同"
            "款缺货时可改为退款。尺码原因的换货，来回运费各承担一次，VIP会员运费全免。"
        ),
    ),
    (
        "KB-003",
        "zh",
        "服装尺码指南",
        "尺码,服装,size_fit,尺码表",
        (
            "请以详情页尺码表为准：平铺测量胸围、衣长、肩宽，误差1-2cm属正常。S码适合身高155-160cm、体重45-"
            "52kg；M码160-165cm、52-58kg；L码165-170cm、58-65kg；XL码170-175cm、65-72kg。阔腿裤和羽绒服版型"
            "偏大，建议拍小一码；牛仔裤不弹力，建议按腰围选择。"
        ),
    ),
    (
        "KB-004",
        "zh",
        "鞋靴尺码指南",
        "尺码,鞋靴,size_fit,脚长",
        (
            "测量脚长（脚跟到最长脚趾）后对照：脚长23.5cm选37码，24cm选38码，24.5cm选39码，以此类推。跑鞋和"
            "小白鞋正码，切尔西靴偏大半码，雪地靴建议大一码以便穿厚袜。脚背高、脚宽的顾客建议拍大半码。"
        ),
    ),
    (
        "KB-005",
        "zh",
        "退款到账时间",
        "退款,到账,refund,时效",
        (
            "仓库签收退货后1个工作日内审核，审核通过后原路退回：支付宝/微信零钱实时到账，银行卡1-3个工作日"
            "，信用卡3-7个工作日。仅退款申请在24小时内处理。若超过以上时间仍未到账，请提供订单号联系客服，"
            "我们会提供退款凭证。"
        ),
    ),
    (
        "KB-006",
        "zh",
        "包裹破损怎么办",
        "破损,运输,damaged_in_transit,物流",
        (
            "签收时请当面检查外包装，如有明显破损可拒收。已签收后发现商品破损，请在48小时内拍摄外箱、面单和"
            "商品破损处的照片提交售后，我们会优先补发或退款，无需等待物流理赔结果。易碎品（玻璃、陶瓷、液体"
            "美妆）均使用加厚气泡柱包装。"
        ),
    ),
    (
        "KB-007",
        "zh",
        "少件、漏发处理",
        "少件,漏发,missing_parts,配件",
        (
            "收到商品发现少配件或少件，请拍摄包裹内全部物品和面单照片，客服核实后24小时内补发，补发运费由我"
            "们承担。赠品以下单页面说明为准，活动赠品数量有限，送完即止时会在页面提示。"
        ),
    ),
    (
        "KB-008",
        "zh",
        "物流延迟与催件",
        "物流,延迟,logistics_delay,催件",
        (
            "正常情况下下单后48小时内发货，大促（618、双11）期间最晚72小时。物流信息超过48小时未更新可联系"
            "客服催件，超过7天未更新我们将为您补发或退款。偏远地区（西北、东北部分地区）时效会多1-3天。"
        ),
    ),
    (
        "KB-009",
        "zh",
        "破壁料理机使用指南（PB-200）",
        "破壁机,使用,hard_to_use,说明书,HA-101",
        (
            "1. 将杯体对准底座的三角标记向下按压，听到“咔嗒”声即安装到位；2. 杯盖顺时针旋转锁紧，否则机器不"
            "会启动（安全保护）；3. 加入食材不超过MAX刻度，热饮程序加水至少800ml；4. 选择程序：豆浆、米糊、"
            "果汁、清洗；5. 红灯闪烁表示杯体未装好或杯盖未锁紧。新版说明书附二维码视频教程，扫码即可观看。"
        ),
    ),
    (
        "KB-010",
        "zh",
        "智能电饭煲使用指南（3L）",
        "电饭煲,使用,hard_to_use,预约,HA-102",
        (
            "米和水比例约1:1.2，以内胆刻度为准。预约：按“预约”键设置完成时间，再选择功能。显示E1表示内胆未"
            "放好，E2表示温控异常请联系售后。第一次使用前请用清水煮沸一次去除异味。"
        ),
    ),
    (
        "KB-011",
        "zh",
        "蓝牙耳机配对与降噪切换",
        "蓝牙耳机,配对,hard_to_use,降噪,MA-203",
        (
            "首次配对：打开充电仓盖，长按仓体按键3秒至指示灯白灯闪烁，在手机蓝牙列表选择“疾风Air3”。切换降"
            "噪：长按任一耳机触控区2秒，在降噪/通透/关闭之间循环。单耳无声时请将两只耳机放回仓内重置。"
        ),
    ),
    (
        "KB-012",
        "zh",
        "扫地机器人配网",
        "扫地机器人,配网,app,hard_to_use,HA-107",
        (
            "仅支持2.4GHz Wi-Fi，请关闭路由器的5G合一功能；同时按住电源键和回充键5秒进入配网模式，语音提示"
            "后在App中添加设备。配网失败时请让手机靠近机器并关闭VPN。"
        ),
    ),
    (
        "KB-013",
        "zh",
        "床头柜安装说明",
        "床头柜,安装,hard_to_use,missing_parts,HO-605",
        (
            "安装前请清点配件：侧板2块、顶板1块、抽屉1套、螺丝包（A类8颗、B类12颗）、六角扳手1把。先用A类螺"
            "丝连接侧板与底板，再安装顶板，最后装入抽屉滑轨。缺少配件请拍照联系客服补发。"
        ),
    ),
    (
        "KB-014",
        "zh",
        "正品保证与防伪查询",
        "正品,假货,counterfeit,防伪",
        (
            "本店所有商品均为品牌直供正品，可提供授权书。美妆商品可在品牌官网输入防伪码查询，防伪码被多次查"
            "询可能是您自己或他人重复扫码，如仍有疑虑可申请鉴定，经鉴定非正品假一赔三。"
        ),
    ),
    (
        "KB-015",
        "zh",
        "价格保护（价保）规则",
        "价保,降价,price,差价",
        (
            "签收后7天内同款商品降价（不含直播间专享价、限量秒杀），可申请价保退差价。双11期间价保延长至15"
            "天。申请入口：订单详情 → 价格保护。"
        ),
    ),
    (
        "KB-016",
        "zh",
        "美妆过敏处理",
        "美妆,过敏,quality_defect,敏感肌",
        (
            "使用后如出现红肿、瘙痒请立即停用并用清水冲洗，必要时就医。保留商品和就医凭证联系客服，经核实可"
            "全额退款并承担合理的医疗费用。敏感肌建议先在耳后试用24小时。"
        ),
    ),
    (
        "KB-017",
        "zh",
        "母婴用品安全须知",
        "母婴,安全,安全座椅,推车,quality_defect",
        (
            "安全座椅请按说明书使用ISOFIX接口安装，安装后左右晃动位移不应超过2cm。推车折叠前请确认宝宝已离"
            "开座椅。奶瓶首次使用前需煮沸消毒5分钟，塑料味会在清洗几次后消失。"
        ),
    ),
    (
        "KB-018",
        "zh",
        "投诉与升级渠道",
        "投诉,升级,12315,service_attitude",
        (
            "对处理结果不满意，可在订单页点击“投诉”，由投诉专员在24小时内回电。客服服务态度问题请提供聊天记"
            "录，核实后我们会致歉并补偿。我们承诺所有投诉在3个工作日内给出处理方案。"
        ),
    ),
    (
        "KB-019",
        "zh",
        "VIP会员售后权益",
        "vip,会员,权益,退货",
        "VIP会员享受：退换货运费全免、优先客服通道（平均响应2分钟）、极速退款（寄出即退款）、生日券。",
    ),
    (
        "KB-020",
        "zh",
        "发票开具说明",
        "发票,other,专票",
        ("订单完成后可在订单详情申请电子发票，1个工作日内发送至邮箱。增值税专用发票请提供开票资料，3个工作日内寄出。"),
    ),
    (
        "KB-021",
        "en",
        "Return policy (7-day no-reason returns)",
        "returns,policy,changed_mind",
        (
            "Within 7 days of delivery you can return items in resalable condition (tags, packaging and "
            "accessories intact). You pay return shipping for no-reason returns; we pay it for defects, "
            "wrong items and transit damage."
        ),
    ),
    (
        "KB-022",
        "en",
        "When will I get my refund?",
        "refund,timing",
        (
            "Refunds are reviewed within one business day after the warehouse receives the return. "
            "Alipay/WeChat balance: instant; debit cards: 1–3 business days; credit cards: 3–7 business "
            "days."
        ),
    ),
    (
        "KB-023",
        "en",
        "My parcel arrived damaged",
        "damaged_in_transit,logistics",
        (
            "Take photos of the outer box, the shipping label and the damaged item within 48 hours and "
            "submit an after-sales request. We reship or refund right away, without waiting for the "
            "courier's claim."
        ),
    ),
    (
        "KB-024",
        "en",
        "Size guide for apparel and shoes",
        "size_fit,size guide",
        (
            "Measure a garment you own flat and compare with the size chart; 1–2 cm differences are "
            "normal. Shoes: foot length 24 cm is EU 38. Chelsea boots run half a size large."
        ),
    ),
    (
        "KB-025",
        "en",
        "How to use the PB-200 blender",
        "hard_to_use,blender,HA-101,manual",
        (
            "Align the jug with the triangle on the base and press down until it clicks; lock the lid "
            "clockwise or the safety switch keeps the motor off. A blinking red light means the jug or lid "
            "is not seated. The redesigned manual has a QR code linking to a video guide."
        ),
    ),
    (
        "KB-026",
        "en",
        "Delayed delivery",
        "logistics_delay,shipping",
        (
            "Orders ship within 48 hours (72 hours during 618 and Double 11). If tracking has not updated "
            "for 48 hours, contact us and we will chase the courier; after 7 days without updates we "
            "reship or refund."
        ),
    ),
)


def kb_articles() -> list[dict[str, str]]:
    """The knowledge-base records in `kb_articles` file order, each marked as fictitious demo content."""
    return [
        {
            "article_id": aid,
            "title": f"【演示】{title}" if lang == "zh" else f"[Demo] {title}",
            "body": body + (_FOOTER_ZH if lang == "zh" else " " + _FOOTER_EN),
            "tags": tags + ",demo",
            "language": lang,
        }
        for aid, lang, title, tags, body in _ARTICLES
    ]
