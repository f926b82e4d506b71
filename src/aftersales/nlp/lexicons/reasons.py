"""Return / complaint reason wording per `vocab.Reason` code (all but ``other``), following docs/labelling.md.

REASON_TERMS are problem statements: one hit is evidence on its own (weight 1.0 plain, 0.5 ambiguous between two
codes). ASPECT_TERMS name what the problem is about (物流, 客服, 价格, 尺码 …): an aspect counts as a reason only with a
negative opinion in the same clause ("物流太慢", "客服态度很差"); alone it adds a small topic score. Food rules of
the v1.1 resolutions apply (spoiled → quality, spills → damaged in transit, cold because late → logistics).
"""

from __future__ import annotations


def _w(weight: float, words: str) -> dict[str, float]:
    """Give every whitespace-separated word the same weight."""
    return dict.fromkeys(words.split(), weight)


def _en(weight: float, phrases: str) -> dict[str, float]:
    """Give every comma-separated English phrase the same weight (phrases hold spaces, so commas separate them)."""
    return dict.fromkeys((p.strip() for p in phrases.split(",") if p.strip()), weight)


QUALITY_DEFECT: dict[str, float] = {
    **_w(
        1.0,
        """坏了 坏的 坏掉 是坏的 质量差 质量太差 质量很差 质量不好 质量不行 质量问题 故障 不能用 开胶 掉色 起球 漏水
        死机 黑屏 花屏 白屏 蓝屏 自动重启 老是重启 卡顿 卡死 很卡 太卡 好卡 反应慢 反应迟钝 失灵 不灵 没反应
        不工作 不转 不亮 不响 没声音 杂音 噪音大 噪音很大 异响 发烫 很烫 过热 烫手 耗电 掉电 费电 电池不耐用
        续航差 续航短 待机时间短 充不进 充不上电 充不了电 充不进电 开不了机 开不开机 无法开机 无法使用 无法启动
        用不了 打不开 断了 裂了 开裂 裂开 有裂缝 脱线 开线 掉漆 掉毛 褪色 缩水 起皮 掉皮 生锈 漏气 漏电 短路 烧了
        烧坏 冒烟 有异味 异味 味道大 味道很大 刺鼻 甲醛 发臭 臭味 有瑕疵 次品 残次品 劣质 做工差 做工粗糙
        做工太差 做工很差 不耐用 易碎 松动 接触不良 信号差 信号不好 没信号 连不上 蓝牙连不上 闪退 毛病 出问题
        出毛病 返修 维修 修了 拿去修 送修 换了一台 发霉 霉了 变质 馊了 馊 不新鲜 有虫 虫子 有头发 吃出头发
        一根头发 异物 缺陷 头皮屑多了 头皮屑更多 越洗越痒 越洗越多 苍蝇 蟑螂 不熟 没熟 夹生 拉肚子 吃坏肚子
        吃坏了 闹肚子 食物中毒 过期 临期 头痒 头皮痒 过敏 起痘 长痘 掉头发 脱发 辣眼睛 没效果 没有效果 无效
        效果差 效果不好 没什么效果 一点效果 不管用 起毛 破洞 有洞 脱胶 断线 掉珠 毛刺 刮花 不出水 不加热 不制冷
        不制热 不通电 自动关机 电池鼓包 鼓包 不充电 不能充电 字迹模糊 印刷差 印刷质量差 纸张差 纸质差 纸张很差
        纸质很差 烂了 烂的 都烂了 坏果 有烂的 发黑 变色 用不久 寿命短 容易坏 坏得快 质量堪忧 不结实 掉渣 漏油
        漏液 问题很多 bug 死循环 蓝屏了 经常死机 系统崩溃 分辨率低 分辨率太差 像素低 散热差 散热不好 风扇响
        风扇声音大""",
    ),
    **_w(
        0.5,
        """坏 不好用 划痕 有划痕 磨损 二手 翻新 有污渍 污渍 脏 很脏 破了 变形 发热 偏硬 太硬 掉 错别字 有问题 头皮屑
        质量一般 一碰就 一洗就 洗了就 穿了一次 用了一次""",
    ),
    **_en(
        1.0,
        """broken, broke, broke down, stopped working, doesn't work, does not work, didn't work, not working,
        defective, faulty, poor quality, bad quality, cheap quality, cheaply made, fell apart, falls apart,
        malfunction, malfunctioning, crashed, crashes, freezes, overheats, overheating, dead on arrival, doa,
        won't turn on, will not turn on, won't charge, battery dies, leaks, leaking, torn, ripped, cracked,
        peeling, flimsy, rusty, buggy, glitch, glitchy, defect, defects, stopped charging, stopped after,
        not working, no longer works, won't work, will not work, quit working, died after, dead battery,
        cheap plastic, cheap material, feels cheap, looks cheap, falling apart, came apart, came off, fell off,
        tore, ripped apart, frayed, faded, shrunk, shrank, stopped working after, doesn't turn on, does not turn on,
        won't power on, keeps crashing, keeps disconnecting, keeps freezing, poorly made, badly made, low quality,
        bad smell, smells awful, smells terrible, mould, moldy, mouldy, spoiled, rotten, expired""",
    ),
    **_w(0.5, "scratched scratch smells stain stained chipped wobbly"),
}

COUNTERFEIT: dict[str, float] = {
    **_w(
        1.0,
        """假货 假的 是假 太假 不是正品 非正品 不像正品 不像是正品 山寨 高仿 仿冒 仿品 a货 盗版 冒牌 假冒 假冒伪劣
        三无产品 三无 冒充 怀疑是假 疑是假 像假 假货吧 买到假货 卖假货 卖假 假酒 假药 正品吗 是不是正品
        是不是假 翻新机 水货 贴牌 杂牌 盗版书""",
    ),
    **_w(0.5, "专柜验 验货 鉴定 防伪码 防伪 是不是真的 翻新 二手 旧货 被用过 有人用过 用过的"),
    **_en(
        1.0,
        """fake, counterfeit, knockoff, knock-off, not genuine, not authentic, replica, bootleg, pirated, imitation""",
    ),
}

DAMAGED_IN_TRANSIT: dict[str, float] = {
    **_w(
        1.0,
        """压坏 压坏了 破损 碎了 摔坏 摔坏了 漏了 压扁 压烂 摔碎 包装破 包装破损 包装坏了 外包装破 外包装破损 磕碰
        磕坏 撞坏 凹陷 凹进去 运输中 运输过程 路上坏 挤压 挤烂 挤坏 压碎 箱子破 盒子破 盒子坏 盒子压 箱子压 洒了
        撒了 洒出来 撒出来 漏汤 汤洒 汤都洒 汤撒 都洒了 全洒了 全撒了 洒了一袋子 漏出来 包装烂 包装破了
        包装都破了 到手就坏 到货就坏 收到就坏 收到时就坏 收到的时候就 一拆开就 打开就是坏 拆开就 碎成 摔烂 瓶子碎
        瓶子破 漏液了 流出来""",
    ),
    **_w(0.5, "破了 裂了 划痕 变形 碎 坏的"),
    **_en(
        1.0,
        """arrived broken, arrived damaged, damaged in transit, damaged in shipping, crushed, smashed, shattered,
        dented, box was damaged, package was damaged, damaged box, damaged package, arrived cracked,
        leaked in transit, arrived smashed, arrived shattered, arrived dented, arrived leaking, arrived in pieces,
        broken on arrival, broken when it arrived, broken when i opened, damaged on arrival, damaged when it arrived,
        damaged during shipping, damaged during delivery, broke in transit, broken in transit, box was crushed,
        package was crushed, box was torn, package was torn open, parcel was damaged, was shattered, was smashed,
        was crushed, came broken, came damaged, came smashed, came cracked, came in pieces""",
    ),
    **_w(0.5, "damaged chipped"),
}

WRONG_ITEM: dict[str, float] = {
    **_w(
        1.0,
        """发错 发错了 送错 送错了 寄错 寄错了 错发 发成了 发成 给我发了 不是我买的 不是我要的 不是我订的 不是我点的
        不是我拍的 颜色不对 型号不对 款式不对 规格不对 版本不对 尺码不对 口味不对 发的不是 送的不是 收到的不是
        拿错 配错 没按备注 没有按备注 没看备注 不看备注 备注不要 备注不放 备注没看 备注没用 不要辣 不放辣 不要香菜
        放了香菜
        备注少辣""",
    ),
    **_w(0.5, "要的是 我买的是 我订的是 我点的是 我要的是 买的是 备注了 备注的 搞错 弄错"),
    **_en(
        1.0,
        """wrong item, wrong size sent, wrong color, wrong colour, sent the wrong, sent me the wrong,
        received the wrong, received wrong, not what i ordered, different item, instead of what i ordered,
        wrong product, wrong model, wrong version, wrong one, wrong order, wrong package, wrong parcel,
        someone else's order, but you sent, but you sent me, but i received, but received, but got sent,
        shipped me the wrong, sent the wrong one, you sent me a different, not the one i ordered,
        not the item i ordered, not the product i ordered, isn't what i ordered, mixed up my order,
        got someone else's""",
    ),
    **_en(0.5, "instead of, you sent me, you shipped me, i got sent"),
}

MISSING_PARTS: dict[str, float] = {
    **_w(
        1.0,
        """少了 漏发 没有配件 少件 少发 缺件 缺少 少一个 少了一个 少个 少一 漏送 少送 少给 没有发票 没发票 没给发票
        发票没有 发票没给 发票没开 发票没收到 不给发票 不开发票 赠品没有 赠品没给 赠品没收到 赠品没送 没有赠品
        没送赠品 没给赠品 赠品呢 说好的赠品 缺页 少页 没有说明书
        没说明书 没有充电器 没有数据线 没给筷子 没有筷子 没给餐具 没有餐具 没给勺子 没有勺子 没放筷子 餐具没有 餐具没给
        筷子没有 筷子没给 米饭没有 米饭没给 米饭没送 饮料没有 饮料没给 饮料没送 没送饮料 不全 配件不全 没有附件
        附件不全 只收到一 只有一只 只发了 只送了 缺了 缺一
        缺个 缺东西 少东西 少了东西 忘了放 忘放 忘记放 漏放 没放 少放""",
    ),
    **_w(0.5, "没有送 没送 没给 只有一个"),
    **_en(
        1.0,
        """missing, missing parts, missing part, missing piece, missing pieces, incomplete, not included, only one,
        only received, no charger, no manual, no invoice, no receipt, part missing, parts missing, was missing,
        were missing, are missing, is missing, came without, arrived without, shipped without, delivered without,
        without the charger, without the cable, without the manual, without instructions, without the remote,
        left out, forgot to include, didn't include, did not include, wasn't included, weren't included,
        no cable, no remote, no batteries, no screws, no instructions, half of the order, part of my order,
        only got one, only got half, only half""",
    ),
}

NOT_AS_DESCRIBED: dict[str, float] = {
    **_w(
        1.0,
        """色差 与描述不符 和描述不符 跟描述不符 描述不符 与描述不一致 和描述不一样 跟描述不一样 和图片不一样
        跟图片不一样 与图片不符 和图片不符 跟图片不符 图片不符 图片不一样 与图片不一样 和图上不一样 与实物不符
        实物不符 实物与图片 实物和图片 照片不一样 和照片不一样 和宣传的不一样 和宣传不符 与宣传不符 虚假宣传
        夸大宣传 夸大 货不对板 名不副实 与实际不符 和实际不符 和说的不一样 跟说的不一样 不符 分量不足 分量少
        份量少 量太少 量少 缺斤少两 不够重 斤数不够 重量不够 短斤少两 称了一下 不到一斤 不足一斤 卖家秀 买家秀
        图片仅供参考 p图 ps过 修图 不是新的 旧的 有使用痕迹 不是新品 不是全新 和描述 没有图片上 没有图片 没图片
        比图片 比图上 缩水了 跟想象中 和想象中 与想象中 不如介绍 和介绍的不 跟介绍的不 与介绍不符 被忽悠 根本没有
        根本不是 不像图片 不如图片 和描述的不""",
    ),
    **_w(
        0.5,
        """二手 翻新 用过的 描述 宣传 以为是 一直以为 还以为 说好的 不一样 标的是 标注的 号称 说是 写的是 宣传的
        页面上 详情页 描述的 图片上的 小很多 偏少 太少了 就这么点 这么少""",
    ),
    **_en(
        1.0,
        """not as described, not as pictured, not as advertised, doesn't match the description,
        does not match the description, different from the picture, different from the photo, misleading,
        false advertising, looks nothing like, not like the picture, not like the photo, used item, looks used,
        nothing like the picture, nothing like the pictures, nothing like the photo, nothing like the photos,
        nothing like the description, not the same as the picture, not the same as pictured, than pictured,
        than advertised, than described, than in the picture, than in the pictures, than in the photo,
        than in the photos, than it looked, than it looks online, description said, listing said, website said,
        advertised as, was advertised, said it was, says it is, claimed to be, different from the description,
        different from the listing, doesn't match the photos, does not match the photos, not what was advertised,
        not what was described, smaller than expected, thinner than expected, already used, previously used,
        has been used, open box""",
    ),
}

SIZE_FIT: dict[str, float] = {
    **_w(
        1.0,
        """偏大 偏小 不合身 挤脚 大一码 小一码 大一号 小一号 大了一码 小了一码 大半码 小半码 尺码不准 尺码偏 码数偏
        不合脚 磨脚 夹脚 太紧 太松 紧了 太长 太短 穿不上 穿不了 穿不下 尺寸不对 尺寸不合 换大 换小 换码 换尺码
        换个码 码偏 码子偏 勒得慌 太肥 太瘦 肥了 瘦了 太宽 太窄 穿着紧 穿着大 穿着小 撑不下 套不上 戴不上 塞不进""",
    ),
    **_w(0.6, "太大 太小 大了 小了 不合适 短了 长了 松了 勒 装不下 放不下"),
    **_w(0.3, "宽松"),
    **_en(
        1.0,
        """too small, too big, too large, too tight, too loose, too short, too long, doesn't fit, does not fit,
        didn't fit, did not fit, runs small, runs large, runs big, size up, size down, wrong size,
        size small, size too small, size too big, size large, sizes too small, half a size, a size smaller,
        a size bigger, a size larger, one size up, one size down, bigger size, smaller size, larger size,
        don't fit, do not fit, won't fit, doesn't fit me, fits too small, fits too big, too narrow, too wide,
        too baggy, too snug, pinch, pinches, sizing is off, sizing is wrong, size chart is wrong""",
    ),
    **_w(0.5, "tight loose sizing"),
}

LOGISTICS_DELAY: dict[str, float] = {
    **_w(
        1.0,
        """物流慢 物流太慢 物流很慢 还没到 几天了 发货慢 发货太慢 送货慢 送货太慢 配送慢 配送太慢 送餐慢 送餐太慢
        送得慢 送的慢 送得太慢 送的太慢 还没收到 没收到 没有收到 收不到 未收到 没到 一直没到 迟迟 迟迟不发货
        不发货 没发货 还没发货 未发货 延迟 延误 耽误 超时 晚到 迟到 等了 等了好久 等了半天 等了很久 等了一个
        等了两个 等了三 等了一 才到 才送到 才收到 才发货 才送来 小时才 天才到 天才发货 天才收到 一个半小时
        两个小时 俩小时 三个小时 物流信息 物流不更新 不更新 卡在 停在 滞留 丢件 快递丢 包裹丢 凉了 都凉了 凉透了
        送来都凉 到了都凉 送到都凉 已经凉了 饭凉了 菜凉了 骑手绕路 绕路 催了 催单 催了好几次 打电话催 还在路上
        龟速 慢得要死 没送到 还没送到 没送来 还没送来 物流差 快递差 快递太慢 快递很慢 物流太差 物流很差
        发货速度慢 派送慢 预计送达 送达时间 还不到 怎么还没 怎么还不到 到现在还没""",
    ),
    **_w(0.5, "太慢 很慢 太慢了 慢死了 催 天了 好几天 不发 晚了 在路上 丢了"),
    **_w(0.3, "慢"),
    **_en(
        1.0,
        """late, delayed, delay, delays, still not arrived, hasn't arrived, has not arrived, not arrived,
        never arrived, never received, not received, haven't received, have not received, still waiting,
        slow shipping, slow delivery, took forever, weeks late, lost package, lost in transit, stuck in transit,
        still in transit, where is my package, where is my order, hasn't shipped, not shipped yet,
        still hasn't arrived, still has not arrived, hasn't been delivered, has not been delivered,
        not been delivered, never delivered, never showed up, never came, still not here, still not delivered,
        still haven't got, still haven't gotten, still haven't received my order, still haven't received my package,
        tracking hasn't updated, tracking has not updated, tracking hasn't moved, tracking not updated,
        no tracking update, stuck at, stuck in, weeks late, days late, week late, running late, late delivery,
        delivery was late, arrived late, came late, took too long, taking too long, taking forever,
        was supposed to arrive, was supposed to be delivered, should have arrived, should have been delivered,
        past the delivery date, missed the delivery date, not on time, didn't arrive on time,
        did not arrive on time, hasn't shipped yet, not dispatched, still not shipped, where's my order,
        delivery was supposed to, was due to arrive, was due to be delivered, due to arrive on, still not arrived,
        where's my package, where is my parcel, where's my parcel""",
    ),
    **_en(0.5, "still nothing, supposed to arrive, been waiting"),
}

HARD_TO_USE: dict[str, float] = {
    **_w(
        1.0,
        """不会用 看不懂 太复杂 装不上 不会装 不会安装 安装麻烦 安装复杂 安装很麻烦 难安装 不好装 不好安装 很难装
        操作复杂 操作麻烦 不好操作 不会操作 操作不便 不知道怎么用 不知道怎么 装驱动 装系统 驱动难装 驱动不好装
        驱动不好找 找不到驱动 没有驱动 装xp 装不了系统 系统不好装 难用 不人性化 繁琐 很繁琐 英文说明 没有中文
        全是英文 上手难 学不会 说明书看不懂 说明书不清楚 说明书太简单 说明书写得 没有教程 设置麻烦 设置复杂
        调不好 用不明白 搞不懂 弄不懂 弄不好 搞不定 不会弄 不好弄""",
    ),
    **_w(
        0.5,
        """说明书 麻烦 复杂 安装 不好用 设置 教程 操作 怎么用 怎么安装 怎么设置 怎么连接 怎么装 怎么弄 怎么开 驱动
        装不了 不方便""",
    ),
    **_en(
        1.0,
        """hard to use, difficult to use, confusing, complicated, can't figure out, cannot figure out,
        hard to install, difficult to install, hard to set up, not user friendly, not user-friendly,
        not intuitive, instructions unclear, unclear instructions, no instructions, how do i use, how to use,
        instructions are unclear, instructions were unclear, instructions are confusing, instructions were confusing,
        manual is useless, manual is confusing, can't get it to work, cannot get it to work, can't get it working,
        can't set it up, cannot set it up, can't connect, cannot connect, won't connect, won't pair, can't pair,
        doesn't connect, does not connect, too complicated, impossible to use, impossible to set up,
        impossible to install, hard to assemble, difficult to assemble, hard to figure out, took hours to set up,
        took me hours""",
    ),
    **_en(0.5, "instructions, manual, setup, set up, install, unclear, figure out, assemble"),
}

CHANGED_MIND: dict[str, float] = {
    **_w(
        1.0,
        """不想要了 拍错了 买多了 不需要了 不要了 买错了 下错单 下错了 点错了 重复下单 拍多了 拍错 买错 用不上
        用不到 用不着 已经买了 别处买了 买了别的 七天无理由 无理由退货 无理由退 无理由 冲动消费 冲动了 家人不喜欢
        改主意 改变主意 不想买了 不打算要 暂时不需要 多拍了 多买了 误拍 误购 手滑""",
    ),
    **_w(0.5, "不需要"),
    **_en(
        1.0,
        """changed my mind, change my mind, no longer need, no longer needed, don't need it anymore, don't need it,
        ordered by mistake, bought by mistake, accidentally ordered, no longer want, duplicate order,
        ordered twice, cancel my order, found it cheaper, don't want it anymore, don't want it any more,
        don't want it, don't need it any more, not needed anymore, ordered the wrong, bought the wrong,
        my mistake, by accident, accidentally bought, accidentally purchased, cancel the order, cancel this order,
        cancel my purchase, still unopened, unopened, never used it, never opened it, got it elsewhere,
        bought it elsewhere, found a better, cancel an order, cancel a purchase, cancel the purchase,
        cancel an item""",
    ),
}

PRICE: dict[str, float] = {
    **_w(
        1.0,
        """降价 贵 太贵 好贵 很贵 真贵 偏贵 有点贵 不值这个价 不值这个钱 差价 价保 价格保护 保价 不值 不值得 价格高
        价格太高 价格偏高 性价比低 性价比不高 性价比太低 性价比差 便宜了 降了 就降 天就降 掉价 比别家贵 比外面贵
        比超市贵 比实体店贵 贵了 坑钱 多收 多扣 乱收费 安装费 退差价 补差价 补差 不划算 溢价 虚高 涨价 智商税
        同样的价钱 白花 贵得 降价了 买贵了 价格变了 便宜好多 便宜了好多 便宜很多 便宜几十 便宜一百
        少了几十 降了几十 降了一百 优惠没有 优惠没用 没用上 不给优惠 不便宜""",
    ),
    **_w(
        0.5,
        """运费 邮费 配送费 打包费 收费 这个价格 这个价钱 这价格 这价钱 这个价 花了 价位 优惠券 满减 价格也 价钱也""",
    ),
    **_en(
        1.0,
        """expensive, overpriced, too expensive, not worth the money, not worth the price, price drop,
        price dropped, cheaper, refund the difference, price difference, price match, charged twice, overcharged,
        extra fee, extra charge, shipping fee, shipping cost, hidden fee, charged me twice, double charged,
        double-charged, charged me double, charged me extra, overcharged me, charged the wrong amount,
        charged too much, charged more than, billed twice, billed me twice, price went down, went on sale,
        dropped in price, not worth the price, not worth it, way too much, too pricey, pricey, costs too much,
        cost too much, hidden charges, hidden fees, price adjustment, price protection, difference back""",
    ),
}

SERVICE_ATTITUDE: dict[str, float] = {
    **_w(
        1.0,
        """态度差 态度恶劣 态度不好 态度很差 态度太差 态度极差 服务差 不理人 没人理 没人回 不回复 不回 推卸 推诿
        踢皮球 敷衍 爱答不理 爱理不理 不耐烦 骂人 凶 打不通 不接电话 没人接 不给退 不给换 不给处理 不处理 不负责
        不负责任 拒绝退货 拒绝退款 拒绝换货 拖着 拖延 一直拖 拖了 踢来踢去 没人管 售后差 售后服务差 售后不管
        售后太差 售后很差 售后不好 售后服务不好 售后服务太差 商家不给 卖家不给 服务不好 服务太差 服务很差
        服务一般 冷漠 不专业 机器人回复 自动回复 答非所问 态度冷淡 态度蛮横 蛮横 不讲理 不讲道理 耍赖 推脱 互相推
        相互推 不道歉 没有道歉 一句道歉 不解决 不给解决 解决不了 不管不问 不闻不问 置之不理 石沉大海 没有回音
        没回音 没下文 没有下文 不给说法 客服差 客服太差 客服很差 客服垃圾 垃圾客服 客服态度差 骑手态度 快递员态度
        配送员态度 前台态度 店员态度 商家态度 卖家态度 店家态度 服务意识 不热情""",
    ),
    **_w(0.5, "找客服 联系客服 客服说 客服也 客服一直 客服电话"),
    **_en(
        1.0,
        """rude, unhelpful, no response, no reply, never responded, never replied, ignored, ignoring, ignore my,
        terrible service, poor service, bad service, awful service, hung up, unprofessional,
        nobody answers, no one answers, no one responded, runaround, run around, useless support,
        refused to refund, refused to replace, nobody replied, no one replied, nobody has replied,
        no one has replied, nobody has responded, no one has responded, nobody got back, no one got back,
        never got back to me, never heard back, haven't heard back, have not heard back, still no reply,
        still no answer, still no response, ignored my emails, ignored my messages, keeps ignoring,
        keep ignoring, left on hold, kept me on hold, passed around, support is useless, support was useless,
        agent was rude, staff was rude, unhelpful support, refused to help, refuse to refund, refuses to refund,
        refuse to help, won't refund, will not refund, won't give me a refund, haven't received my refund,
        have not received my refund, haven't got my refund, haven't gotten my refund, not received my refund,
        not received a refund, never received my refund, never got my refund, still no refund, no refund yet,
        where is my refund, where's my refund, refund hasn't, refund has not, refund still hasn't,
        refund is still pending, refund still pending, still waiting for my refund, still waiting for a refund,
        waiting for my refund, waiting on my refund, refund is taking, promised a refund, promised me a refund,
        you promised, keep promising, nobody cares, no one cares""",
    ),
    # Asking again and again is the plainest sign of unhelpful service ("I have asked three times").
    **{
        f"{verb} {count}": 1.0
        for verb in (
            "asked",
            "asked you",
            "emailed",
            "emailed you",
            "emailed support",
            "called",
            "called you",
            "contacted you",
            "contacted support",
            "messaged",
            "messaged you",
            "written",
            "chased",
        )
        for count in (
            "twice",
            "three times",
            "3 times",
            "four times",
            "several times",
            "multiple times",
            "many times",
            "so many times",
            "again and again",
            "repeatedly",
        )
    },
}

# How a negated reason term reads (rules.py). A denied problem reassures ("没有坏", "不算贵"): terms of weight ≥ 0.8,
# and the weak terms of DENIABLE_CODES, which name defects too. A refused request or an absent thing stays the
# complaint (NEGATION_KEEPS: "不退差价", "不给价保", "没有使用说明书"). Any other weak term is a topic ("没有安装") and
# a negated topic says nothing.
NEGATION_KEEPS: frozenset[str] = frozenset(
    _w(0, "退差价 补差价 补差 价保 保价 价格保护 差价 赔偿 换货 说明书 发票 赠品 配件")
)
DENIABLE_CODES: frozenset[str] = frozenset({"quality_defect", "damaged_in_transit", "size_fit", "logistics_delay"})

REASON_TERMS: dict[str, dict[str, float]] = {
    "quality_defect": QUALITY_DEFECT,
    "counterfeit": COUNTERFEIT,
    "damaged_in_transit": DAMAGED_IN_TRANSIT,
    "wrong_item": WRONG_ITEM,
    "missing_parts": MISSING_PARTS,
    "not_as_described": NOT_AS_DESCRIBED,
    "size_fit": SIZE_FIT,
    "logistics_delay": LOGISTICS_DELAY,
    "hard_to_use": HARD_TO_USE,
    "changed_mind": CHANGED_MIND,
    "price": PRICE,
    "service_attitude": SERVICE_ATTITUDE,
}

# Aspect words: a reason only next to a negative opinion in the same clause.
ASPECT_TERMS: dict[str, dict[str, float]] = {
    "quality_defect": {
        **_w(1.0, "质量 品质 做工 材质 用料 面料 布料 质地 quality material build"),
        **_w(
            0.6,
            """屏幕 电池 充电器 开机 系统 性能 键盘 鼠标 声音 音质 噪音 散热 温度 线头 拉链 鞋底 按键 信号 续航 镜头
            插头 机器 效果 画质 触屏 触摸屏 摄像头 像素 待机 网速 喇叭 耳机 电源 风扇 硬盘 内存 主板 光驱 外壳
            纸张 纸质 印刷 装订 手感 气味 battery screen sound""",
        ),
    },
    "counterfeit": _w(1.0, "正品 真假 真伪 正版 authentic genuine"),
    "damaged_in_transit": _w(1.0, "包装 外包装 箱子 纸箱 盒子 包装盒 快递盒 瓶子 packaging box package"),
    "wrong_item": _w(1.0, "备注 颜色 型号 款式 口味 规格"),
    "missing_parts": _w(1.0, "配件 赠品 发票 附件 说明书 餐具 筷子 勺子 数据线 充电线 accessories"),
    "not_as_described": _w(1.0, "图片 描述 宣传 实物 照片 分量 份量 重量 详情 picture photo description"),
    "size_fit": _w(1.0, "尺码 尺寸 码数 大小 鞋码 码子 腰围 裤长 袖子 袖长 领口 版型 size fit"),
    "logistics_delay": _w(
        1.0,
        """物流 快递 送货 发货 配送 送餐 到货 派送 骑手 送达 运输 shipping delivery courier shipment""",
    ),
    "hard_to_use": _w(0.6, "说明书 安装 操作 驱动 设置 使用方法 教程 instructions manual setup installation"),
    "price": _w(1.0, "价格 价钱 价位 性价比 售价 费用 price cost"),
    "service_attitude": {
        **_w(
            1.0,
            """客服 服务 态度 客服态度 服务态度 售后 服务员 前台 快递员 工作人员 店员 小二 service support staff
            agent representative team rep""",
        ),
        **_w(0.6, "商家 卖家 店家 老板 seller store shop company"),
        **_en(1.0, "customer service, customer support, customer care, support team, help desk, helpdesk"),
    },
}
