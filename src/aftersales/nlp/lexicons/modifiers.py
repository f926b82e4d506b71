"""Words that change other words: negators, degree adverbs and suffixes, contrast markers, hedges, urgency, politeness.

Problem nouns (问题, "issue") name a problem without saying which one: alone they say nothing (请问一个问题), negated
they reassure (没什么问题, "no issues at all").

Shadows are words that contain a sentiment character but carry no sentiment (好像 "seems", 差不多 "about", 快递
"courier"): matched as whole terms, they hide the shorter word inside them from the scanner.
"""

from __future__ import annotations


def _w(weight: float, words: str) -> dict[str, float]:
    """Give every whitespace-separated word the same weight."""
    return dict.fromkeys(words.split(), weight)


def _en(weight: float, phrases: str) -> dict[str, float]:
    """Give every comma-separated English phrase the same weight (phrases hold spaces, so commas separate them)."""
    return dict.fromkeys((p.strip() for p in phrases.split(",") if p.strip()), weight)


# Strength of a negator: 1.0 flips, >1 flips emphatically ("一点也不差" is clearly positive).
NEGATORS: dict[str, float] = {
    **_w(
        1.0,
        """不 没 没有 别 未 并不 不是 并没有 并非 从不 从没 从来没有 从来不 绝不 决不 不算 谈不上 算不上 不用 不必
        无需 不会 没什么 没发现 没发觉 没遇到 没遇见 没碰到 没出现 没出过 没感觉 没觉得 不觉得 没看到 没见到""",
    ),
    **_w(0.7, "不太 不怎么 不那么 不大 不是很 不是太 不算太 没那么 没这么 不够"),
    **_w(1.3, "一点也不 一点都不 一点也没 一点都没 毫不 完全不 根本不 根本没 根本没有 丝毫不 压根不 压根没 全无 毫无"),
    **_en(
        1.0,
        """not, no, never, don't, dont, do not, doesn't, doesnt, does not, didn't, didnt, did not, isn't, isnt,
        is not, wasn't, wasnt, was not, aren't, arent, are not, weren't, won't, wont, will not, can't, cant,
        cannot, couldn't, wouldn't, haven't, hasn't, hadn't, without, hardly, barely, neither, nor, none, nothing,
        nobody, no one, zero""",
    ),
    **_en(0.7, "not very, not that, not so, not too, not really"),
    **_en(1.3, "not at all, not even, in no way"),
}

# What ends a negator's scope when it sits between the negator and the word: a new predicate ("没两天就坏了", "还没用
# 就坏了": broke within two days / before use) or a recalled experience of something this bad ("never had such a bad
# experience"). Matched against the text between the negator and the word. In Chinese, an experiential 过 with a
# degree word ends the scope too ("没见过这么差的", "从来没有这么差过": nothing this bad); see rules.py.
NEGATION_BREAKS = (
    r"[就才又]|[\d一二两三四五六七八九十几半]+(?:天|日|周|个?星期|个?月|年|次|回|下|小时|分钟)"
    r"|\b(?:seen|had|been|experienced|encountered)\b.*\b(?:such|so|this|that|worse)\b"
)

# Problem nouns: negated they are reassurance (a negated complaint of this weight); alone they are ignored.
PROBLEM_NOUNS: dict[str, float] = {
    **_w(1.0, "问题 异常"),
    **_en(1.0, "problem, problems, issue, issues, complaints, fault, faults, damage, damages"),
}

# Degree adverbs before a word (×factor); <1 softens.
DEGREE: dict[str, float] = {
    **_w(1.5, "非常 特别 太 十分 巨 贼 简直 太过 过于 极度 格外 尤其 超 好不 不是一般 不是一般的"),
    **_w(1.7, "超级 极其 极 最 完全 根本 严重 彻底 绝对 实在太 真是太 太太"),
    **_w(1.3, "真 真的 实在 真心 相当 如此 这么 那么 越来越 竟然 居然 明显"),
    **_w(1.2, "很 挺 蛮"),
    **_w(1.0, "什么 任何 啥 多大 any"),  # neutral fillers that keep a negation in reach ("没发现什么问题")
    **_w(0.9, "比较 较 还算"),
    **_w(0.6, "有点 有点儿 有些 稍微 稍 略 略微 一点 一点点 些许 偏 稍稍 多少有点 就是有点 稍微有点"),
    **_w(1.5, "very so really totally absolutely seriously truly"),
    **_w(1.8, "extremely super incredibly completely utterly beyond insanely ridiculously"),
    **_w(1.2, "too quite pretty most"),
    **_en(0.6, "a bit, a little, slightly, somewhat, kind of, kinda, sort of, a tad"),
}

# Degree suffixes right after a word ("好得很", "差极了", "气死了").
DEGREE_SUFFIX: dict[str, float] = {
    **_w(1.5, "得很 死了 爆了 到爆 得不行 得要死 得要命 要死 要命 疯了"),
    **_w(1.8, "极了 透了 至极 透顶 到家了 到极点 到极致 无比 死人"),
    **_w(0.7, "了点 了一点 了些"),
}

# Contrast: the clause after weighs more (但是 …), the clause before less.
CONTRAST: dict[str, float] = _w(
    1.0,
    """但是 但 可是 不过 就是 就是有点 只是 结果 然而 却 没想到 谁知 谁知道 谁料 哪知 偏偏 可惜 反而 竟然 居然 but
    however though although yet unfortunately except""",
)

# Hedges: soften the message, point at a latent complaint, lower intensity.
HEDGES: dict[str, float] = {
    **_w(0.4, "感觉 可能 也许 大概 希望 建议 总体 整体"),
    **_w(
        1.0,
        """有点 有点儿 有些 稍微 略 略微 一般 一般般 还行 还可以 凑合 马马虎虎 勉强 就是有点 美中不足 稍显 小瑕疵
        不足 好像 似乎 貌似 就更好了 就好了 更好 差强人意 还好吧 还好 总体还行 总体还可以 整体还行 还行吧
        还可以吧 凑合吧 一般吧""",
    ),
    **_en(
        1.0,
        """a bit, slightly, somewhat, kind of, kinda, a little, sort of, so-so, could be better, would be nice,
        i wish""",
    ),
}

# Urgency (feeds anxiety and intensity): the customer needs it now.
URGENCY: dict[str, float] = {
    **_w(1.0, "急 着急 急用 急着用 急死 尽快 赶紧 马上 立刻 立即 快点 赶快 火速 加急 等着用 今天必须 今天之内 急急急"),
    **_en(1.0, "asap, urgent, urgently, immediately, right now, as soon as possible, hurry"),
}

# Politeness: softens tone, useful for reply style and as a calm-customer signal.
POLITENESS: dict[str, float] = {
    **_w(1.0, "请 请问 麻烦 您好 你好 亲 您 劳驾 不好意思 打扰了 打扰一下 抱歉 谢谢 感谢 辛苦了"),
    **_en(1.0, "please, kindly, could you, would you, hello, hi, dear, sorry"),
}

# Terms that intensify on their own (labelling: "再也不", "最差", stacked "太…了").
INTENSIFIERS: dict[str, float] = {
    **_w(1.0, "再也不 永远不 绝对不 死也不 这辈子 最差 最烂 最垃圾 史上最 从没见过 第一次见"),
    **_en(1.0, "never again, worst ever, never buying again, never ordering again"),
}

SHADOWS: frozenset[str] = frozenset(
    _en(
        0.0,
        """refund policy, return policy, returns policy, exchange policy, money back policy, money-back guarantee,
        money back guarantee, refund status, status of my refund, status of the refund, no matter""",
    )
) | frozenset(
    _w(
        0.0,
        """好像 好多 好几 好久 好不容易 只好 最好 好在 好处 好歹 好奇 好友 爱好 正好 刚好 好些 好意思 不好意思 好比
        好了 差不多 差点 出差 差距 时差 差异 偏差 误差 相差 差额 差一点 落差 不差钱 快递 快点 尽快 赶快 快要 快乐
        快捷 飞快 哪怕 恐怕 滚筒 滚动 滚轮 滚烫 滚珠 翻滚 滚刷 垃圾袋 垃圾桶 垃圾箱 垃圾分类 不得不 不管 不仅
        不但 不久 不断 不少 不过 不一定 不知道 不然 要不 不同 不停 不由得 没关系 不客气 无论 未来 不用谢 别人
        别的 别处 区别 分别 告别 识别 没多久 没几天 不一会 不到 没过 不小心 好评返现 急救 急诊 满意度 急性 可怕
        好坏 坏人 坏处 贵州 宝贵 贵宾 贵阳 富贵 运费险 免运费 评价 防脱 缺点 工商银行 申请 超市 积极 最后 最近
        最终 最少 最多 认真 真皮 真假 真相 逼真 太阳 是不是 有没有 是否 没必要 不必要 没有必要 不想 还没用 还没有用
        没用过 没舍得用 没用完 少了点 少了些 声音偏小 音量偏小 字体偏小 声音太小 音量太小 字体太小""",
    )
)
# "赠品没有问题" is "the gift is fine": the missing-part term 赠品没有 must not take the 没有 of 没有问题 or 没有坏.
# Each is a split shadow: it hides only the thing (its first characters, the value; a thing said to be fine is no
# complaint topic) and what follows is read again, so 没有问题 still counts as a denied problem (model trust falls).
SPLIT_SHADOWS: dict[str, int] = {
    f"{thing}{rest}": len(thing)
    for thing in ("赠品", "发票", "餐具", "筷子", "米饭", "饮料")
    for rest in ("没有问题", "没有什么问题", "没有坏", "没有破", "没有损坏")
}
