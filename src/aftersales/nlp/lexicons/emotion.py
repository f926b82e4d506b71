"""Emotion words per `vocab.Emotion` code (Chinese simplified + English lower-case), weight = evidence strength.

Curated by hand for customer-service and review language (docs/labelling.md definitions); phrasings were checked
against the negative reviews of ``online_shopping_10_cats`` and ``waimai_10k``, but no review text is stored here.
Weights: 0.3 hedged or ambiguous, 0.6 weak, 1.0 plain, 1.5 strong, 2.0+ insults and absolutes. A longer term always
wins over a shorter one at the same position, so lexicalised negations (不满意, 不错, 没问题) live here as whole terms.
"""

from __future__ import annotations


def _w(weight: float, words: str) -> dict[str, float]:
    """Give every whitespace-separated word the same weight (keeps the tables below compact and readable)."""
    return dict.fromkeys(words.split(), weight)


def _en(weight: float, phrases: str) -> dict[str, float]:
    """Give every comma-separated English phrase the same weight (phrases hold spaces, so commas separate them)."""
    return dict.fromkeys((p.strip() for p in phrases.split(",") if p.strip()), weight)


ANGER: dict[str, float] = {
    **_w(2.5, "傻逼 傻b 煞笔 操你 草泥马 他妈的 你妈 去死 王八蛋 狗日的 人渣 败类 畜生 滚蛋 滚犊子 吃屎"),
    **_w(
        2.0,
        """垃圾 骗子 坑人 坑爹 什么破 破玩意 什么玩意 什么鬼 鬼东西 太过分 混蛋 无耻 不要脸 特么 他妈 尼玛 你妹 狗屁
        妈的 卧槽 我靠 奸商 黑心 黑店 无良 欺诈 骗钱 骗人 骗消费者 欺骗消费者 流氓 强盗 霸王条款 忍无可忍
        岂有此理 气死 气死了 气死我了 气炸了 火大 恼火 愤怒 脑残 智障 白痴 废物 恶心死了 太坑了 坑死了 垃圾货
        垃圾东西 垃圾店 垃圾京东 垃圾商家 垃圾客服 垃圾产品 店大欺客 欺人太甚 坑货 骗局 被骗了 上当受骗""",
    ),
    **_w(
        1.5,
        """过分 太离谱 离谱 恶心 可恶 生气 气人 糊弄 忽悠 耍我 耍人 欺负 欺骗 被坑 坑了 是坑 太坑 真坑 很坑 坑钱
        嚣张 恶劣 简直了 搞什么 搞什么鬼 凭什么 有病 滚 吐了 忍不了 受够了 太气人 烂透了 差到极点 差到家了
        什么东西 什么态度 还有脸""",
    ),
    **_en(
        2.0,
        """furious, outraged, scam, scammer, scammers, scammed, ripoff, rip-off, rip off, fraud, fraudulent, liar,
        liars, garbage, trash, bullshit, wtf, disgusting, outrageous, pathetic, thieves, thief, robbed, crooks,
        crooked, fuck, fucking, fucked, shit, shitty, screw you, hate, piece of junk, piece of crap,
        total garbage""",
    ),
    **_w(1.5, "angry pissed ridiculous unacceptable crap crappy insane joke damn sucks idiots incompetent infuriating"),
}

DISSATISFACTION: dict[str, float] = {
    **_w(
        1.0,
        """不满意 不满 太差 很差 真差 好差 差 差劲 太差劲 不行 有问题 不值 不好 不太好 不怎么样 不咋地 不咋样 不推荐
        不建议 不会再买 再也不买 再也不会 不会再来 不会再点 不会再住 不会再订 不买了 以后不买 以后不会 下次不会
        差评 糟糕 烂 很烂 太烂 不合格 不好用 难用 难吃 难喝 难闻 难看 不好吃 不好喝 不好看 不舒服 不方便 不靠谱
        没用 不划算 要求退货 要退 想退 退掉 不喜欢 不爽 郁闷 闹心 吐槽 浪费 浪费钱 白花钱 上当 上当了 鸡肋 一星
        一颗星 零分 不及格 败笔 不新鲜 粗糙 不给力 太慢 很慢 真慢 慢 太次 次品 劣质 不敢恭维 不怎么好 令人不满
        很不爽 不开心 不愉快 扫兴 别买 不值得 毛病 太贵 不满足 没法用 没法吃 无法接受 不能接受 不可接受 很一般
        不理想 不够好 越来越差 大不如前 一次不如一次 还不如 不如 辣鸡 拉胯 拉垮 翻车 踩雷 后悔买 好贵 好慢 好烂
        好难用 好难吃 好难看""",
    ),
    **_w(1.5, "极差 最差 超差 奇差 非常差 特别差 太烂了 很不满意 非常不满意 特别不满意 强烈不推荐 极度不满 严重差评"),
    **_w(0.5, "退货 退款 换货 退了"),
    **_w(0.4, "一般 一般般 凑合 马马虎虎 勉强 不太满意 差强人意 稍差 略差 有待提高 有待改进 需要改进 欠佳"),
    **_en(
        1.0,
        """not satisfied, unsatisfied, dissatisfied, unhappy, poor, bad, terrible, awful, horrible, useless, waste,
        waste of money, not worth, do not recommend, don't recommend, wouldn't recommend, not recommended,
        won't buy again, will not buy again, no good, not impressed, subpar, inferior, junk, worthless, annoyed,
        annoying, frustrated, frustrating, complaint, return it, want a refund, not acceptable""",
    ),
    **_en(1.5, "worst, worst ever, the worst, never again, never buying again, never ordering again"),
    **_en(0.4, "mediocre, meh, so-so, average, not great, could be better, okay-ish"),
}

DISAPPOINTMENT: dict[str, float] = {
    **_w(
        1.0,
        """失望 很失望 后悔 唉 唉唉 无语 醉了 也是醉了 真是醉了 心累 本以为 本来以为 原以为 还以为 本来很期待
        满怀期待 没想到 白期待 伤心 难过 委屈 心寒 寒心 无奈 无助 没办法 认栽 倒霉 可惜 遗憾 呵呵 呵呵了 哭了
        欲哭无泪 崩溃 绝望 落差 悲剧 杯具 不想说了 懒得说 懒得退 懒得退了 自认倒霉 无力吐槽 心塞 扎心 心痛 心疼
        大失所望 期望太高 不如预期 没有想象中 没有想像中 没想象中 没想像中 一言难尽 服了 我服了 真服了 认了
        再也不相信 不敢再买 不敢买了 吃一堑 白买了 白花了 亏了 太亏了 亏大了""",
    ),
    **_w(0.6, "哎 以为 说好的 不是说 哪有 算了 好吧"),
    **_w(1.5, "太失望 非常失望 太让人失望 令人失望 让人失望 特别失望 极其失望 失望透顶 后悔死了 肠子都悔青了 心凉"),
    **_en(
        1.0,
        """disappointed, disappointing, disappointment, let down, letdown, regret, regretted, sad, sigh, ugh,
        expected better, expected more, hoped, what a shame, too bad, heartbroken, not what i expected,
        underwhelming, gave up, give up, hopeless, helpless""",
    ),
}

ANXIETY: dict[str, float] = {
    **_w(
        1.0,
        """怎么还没 怎么还不 还没到吗 急 着急 急用 急着用 急死 急死了 担心 会不会 到底什么时候 什么时候 催 催了 催单
        催了好几次 快点 赶紧 尽快 到底 一直等 等不及 怕 害怕 不放心 万一 焦虑 心急 能不能 怎么办 怎么回事 咋回事
        有没有人 人呢 还要等多久 要等多久 多久 何时 在吗 还在吗 回复一下 速回 急急急 等着用 是不是假的 能不能快点
        不会是 怎么没有 怎么还是 还没处理 还没退 还没有退 钱什么时候 什么时候退 什么时候到 什么时候发货
        什么时候能 还没收到 至今还没 为什么还没 但愿 希望不会 担心是 会不会有事 谁能告诉 请求帮助 求助""",
    ),
    **_w(0.6, "是不是假 不知道能不能 该不会"),
    **_en(
        1.0,
        """worried, worry, anxious, urgent, urgently, asap, as soon as possible, still waiting, when will,
        where is my, hurry, need it by, concerned, nervous, any update, what is going on, what's going on,
        how long""",
    ),
}

NEUTRAL: dict[str, float] = {
    **_w(0.5, "请问 咨询 想问一下 想问下 问一下 问下 请教 想了解 是否 能否 可以吗 吗 如何 怎样 怎么操作 怎么申请"),
    **_en(0.5, "could you, can you, how do i, is it possible, i would like to, i want to know, question, wondering"),
}

SATISFACTION: dict[str, float] = {
    **_w(
        1.0,
        """满意 很满意 好 很好 不错 挺好 挺不错 好用 好看 好吃 好喝 喜欢 推荐 值得 物超所值 划算 实惠 超值 完美 给力
        赞 点赞 棒 很棒 好评 五星 满分 漂亮 舒服 合适 很快 速度快 及时 新鲜 惊喜 开心 高兴 愉快 方便 清晰 流畅
        结实 耐用 精致 性价比高 质量好 质量不错 做工好 做工不错 做工精细 回购 会再来 还会再买 还会再来 下次还来
        一如既往 正品 很正 没问题 没毛病 不差 还不错 蛮好 真好 好极了 喜欢的 值得购买 值得推荐 很值 美味 好香
        可口 入味 分量足 量足 量大 挺快 蛮快 超快 神速 靠谱 放心购买 信赖 支持 必须好评 五分 满分好评 无可挑剔
        性价比不错""",
    ),
    **_w(1.5, "非常满意 超级好 非常好 太好了 特别好 超赞 完美无缺 强烈推荐 极力推荐 超级喜欢 非常喜欢 爱了 太棒了"),
    **_w(0.6, "快 就到了 就收到了 就送到了 就到货了 次日达 隔天就到 当天就到 第二天就到"),
    **_w(0.4, "可以 还可以 还行 还行吧 还可以吧 凑合吧 一般吧 还好吧 过得去 能用 凑合能用 ok 还ok 尚可"),
    **_en(
        1.0,
        """great, good, excellent, perfect, love, love it, loved, amazing, awesome, happy, satisfied, pleased,
        recommend, nice, works great, worth it, fast, quick, well made, beautiful, as described, fantastic,
        wonderful, best, superb, exactly as described, great quality, good quality, no problem, no problems,
        no issues, on time, arrived on time, as expected, works perfectly, works well, works fine, fits perfectly,
        fits well, no complaints, well packed, well packaged, highly recommend, very happy, really happy,
        quick refund, fast refund, quick response, fast response, very helpful, so helpful, helpful""",
    ),
    **_en(0.4, "fine, ok, okay, decent, acceptable"),
}

RELIEF: dict[str, float] = {
    # A problem that got resolved (docs/labelling.md rule 9). In reviews "还好/终于/好在/放心" mostly mean "just okay",
    # "at last" or "fortunately" (7 of 195 labelled texts with 还好 are relief, 3 of 81 with 终于), so alone they are
    # hedged evidence; the resolution phrases are what the annotated relief texts say.
    **_w(
        1.0,
        """松了口气 松了一口气 虚惊一场 不用担心了 问题解决了 终于解决 总算解决 很快解决 都有解决 已解决 换了新的
        给我退了 赔我了 已赔 全额退款 先行赔付 立马换 很快换货 换过来了 还好没坏 幸好没坏 好在没坏 幸好没事
        还好没事 退款到账 钱退回来了 修好了 处理得很快 处理的很快 处理的非常快 处理得非常快""",
    ),
    **_w(0.6, "放心了 解决了 搞定了 没事了"),
    **_w(0.3, "终于 总算 可算 幸好 好在 还好 放心 安心 踏实 终于到了 终于收到 总算到了 总算收到"),
    **_en(1.0, "relieved, relief, phew, sorted, resolved, thank god, glad it"),
    **_en(0.3, "finally, at last"),
}

GRATITUDE: dict[str, float] = {
    **_w(
        1.0,
        """谢谢 感谢 辛苦了 麻烦你了 麻烦您了 多谢 谢了 谢啦 感激 谢谢亲 有劳 费心了 感恩 谢谢你 谢谢您 谢谢客服
        谢谢老板 感谢客服 感谢卖家 感谢商家 辛苦快递""",
    ),
    # Thanks to a person who delivered or served: what the annotated gratitude texts say (谢谢快递 8 of 8 gratitude,
    # 感谢送餐 4 of 4, 师傅辛苦 5 of 5), stronger than a closing "谢谢".
    **_w(
        1.5,
        """非常感谢 十分感谢 万分感谢 太感谢了 感激不尽 谢谢快递 感谢快递 谢谢小哥 感谢小哥 小哥辛苦 快递小哥辛苦
        外卖小哥辛苦 骑手辛苦 师傅辛苦 辛苦小哥 谢谢骑手 感谢骑手 谢谢师傅 感谢师傅 谢谢送餐 感谢送餐 送餐辛苦
        谢谢送货 感谢送货""",
    ),
    **_en(
        1.0,
        """thank you, thanks, thx, appreciate, appreciated, grateful, cheers, much appreciated, kudos, many thanks""",
    ),
    **_en(
        1.5,
        """thank you so much, thanks so much, thank you very much, thanks very much, thanks a lot, thanks a million,
        really appreciate, really appreciated, greatly appreciated, truly appreciate, so grateful, very grateful""",
    ),
}

# Swearing: anger (and intensity) about the whole situation, not an opinion of the nearest aspect word ("ask a
# fucking agent" does not make the agent the problem). These terms stay in ANGER; the rule layer only keeps them from
# turning an aspect into a reason.
SWEARING: frozenset[str] = frozenset(
    [
        *_w(0, "他妈的 他妈 特么 妈的 尼玛 卧槽 我靠 草泥马 你妈"),
        *_en(0, "fuck, fucking, fucked, shit, shitty, damn, wtf"),
    ]
)

EMOTION_TERMS: dict[str, dict[str, float]] = {
    "anger": ANGER,
    "dissatisfaction": DISSATISFACTION,
    "disappointment": DISAPPOINTMENT,
    "anxiety": ANXIETY,
    "neutral": NEUTRAL,
    "satisfaction": SATISFACTION,
    "relief": RELIEF,
    "gratitude": GRATITUDE,
}
