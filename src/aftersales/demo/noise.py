"""Surface noise real customer text has: typos, homophones, traditional characters, emoji, code-switching."""

from __future__ import annotations

from aftersales.demo.dice import Dice
from aftersales.vocab import Emotion

E = Emotion

# Common real-world slips: 的/得/地 confusion, homophones, pinyin-input mistakes and chat slang.
TYPOS: tuple[tuple[str, str], ...] = (
    ("已经", "以经"), ("因为", "应为"), ("收到", "受到"), ("知道", "知到"), ("在吗", "再吗"), ("再", "在"),
    ("什么", "神马"), ("怎么", "咋"), ("这样", "酱紫"), ("反映", "反应"), ("账", "帐"), ("那个", "哪个"),
    ("做工", "作工"), ("不知道", "不造"), ("喜欢", "稀饭"), ("真的", "真滴"), ("没有", "木有"), ("可以",
     "阔以"),
    ("得", "的"), ("的", "得"), ("地", "的"), ("的很", "地很"), ("就是", "就4"), ("客服", "客fu"), ("好的",
     "好滴"),
)  # fmt: skip

# Simplified → traditional for the characters the banks use most (a small built-in table, no OpenCC needed).
_S2T_PAIRS = (
    "这這个個们們说說货貨还還买買卖賣问問题題么麼没沒时時间間东東发發给給让讓样樣对對应應该該过過来來后後会會经經实實"
    "质質订訂单單号號换換钱錢务務态態处處决決觉覺电電话話联聯请請谢謝难難坏壞码碼气氣长長开開关關见見现現线線转轉动動"
    "机機响響声聲为為几幾儿兒纸紙裤褲车車轮輪边邊里裡图圖颜顏红紅蓝藍黄黃检檢验驗证證认認识識语語读讀写寫书書递遞运運"
    "输輸损損达達无無办辦复復诉訴费費贵貴价價头頭烦煩乱亂欢歡满滿虽雖准準确確业業员員从從网網络絡装裝习習惯慣种種试試"
    "么麼张張条條产產计計划劃记記录錄绝絕级級态態诚誠恳懇体體验驗应應帮幫么麼该該让讓点點热熱边邊尽儘亲親爱愛宝寶妈媽"
    "领領袖袖缩縮水水脚腳鞋鞋盒盒压壓扁扁碎碎漏漏双雙团團标標准準确確烂爛闹鬧贴貼胶膠吗嗎呢呢吧吧么麼阅閱览覽"
)
S2T: dict[int, str] = {ord(_S2T_PAIRS[i]): _S2T_PAIRS[i + 1] for i in range(0, len(_S2T_PAIRS) - 1, 2)}

EMOJI: dict[Emotion, tuple[str, ...]] = {
    E.ANGER: ("😡", "🤬", "😤", "💢", "[怒]", "(╯‵□′)╯︵┻━┻", "[发怒]", "👎"),
    E.DISSATISFACTION: ("😒", "🙄", "😑", "[白眼]", "-_-", "╮(╯_╰)╭", "👎", "[撇嘴]"),
    E.DISAPPOINTMENT: ("😞", "😔", "💔", "[失望]", "T_T", "😢", "[叹气]"),
    E.ANXIETY: ("😰", "😥", "🥺", "QAQ", "[流泪]", "🙏", "😭", "[可怜]"),
    E.NEUTRAL: ("🙂", "[微笑]", "~", "^_^"),
    E.SATISFACTION: ("👍", "😊", "❤️", "🥰", "[赞]", "(*^▽^*)", "✨", "💯"),
    E.RELIEF: ("😌", "😮‍💨", "🙏", "[耶]", "😊"),
    E.GRATITUDE: ("🙏", "❤️", "🌹", "[抱拳]", "[爱心]", "(｡♥‿♥｡)", "💐", "👍"),
}
# Chinese words customers swap for English mid-sentence (中英混合).
CODE_SWITCH: tuple[tuple[str, str], ...] = (
    ("退款", "refund"), ("尺码", "size"), ("质量", "quality"), ("客服", "customer service"), ("快递",
     "快递delivery"),
    ("订单", "order"), ("退货", "return"), ("失望", "disappointed"), ("着急", "urgent"), ("真的", "really"),
    ("谢谢", "thx"), ("颜色", "color"), ("说明书", "manual"), ("物流", "logistics"), ("赶紧", "ASAP"),
     ("处理", "handle"),
)  # fmt: skip
EN_TAILS: tuple[str, ...] = (
    "pls help",
    "so annoying",
    "ASAP",
    "thanks!",
    "OMG",
    "seriously?",
    "whatever",
    "lol",
    "sigh",
)
FILLERS: tuple[str, ...] = ("嗯", "那个", "就是", "呃", "然后", "对", "就是说", "你知道吧")


def typo(text: str, dice: Dice) -> str:
    """Apply one plausible typo if any of the candidate words occurs."""
    for _ in range(4):
        right, wrong = dice.pick(TYPOS)
        if right in text:
            return text.replace(right, wrong, 1)
    return text


def traditional(text: str) -> str:
    """Convert to traditional characters with the built-in table (enough for these banks)."""
    return text.translate(S2T)


def code_switch(text: str, dice: Dice) -> str:
    """Swap one to three Chinese words for English, and append an English tail if nothing was swapped."""
    swapped = 0
    for right, eng in dice.sample(CODE_SWITCH, 6):
        if right in text and swapped < 1 + dice.below(3):
            text = text.replace(right, f" {eng} " if not eng.startswith("快递") else eng, 1)
            swapped += 1
    if swapped == 0 or dice.chance(0.3):
        text = f"{text.rstrip()} {dice.pick(EN_TAILS)}"
    return " ".join(text.split())


def shout(text: str, dice: Dice, english: bool = False) -> str:
    """Repeat the final punctuation, as angry or anxious customers do."""
    marks = dice.pick(
        ("!!!", "!!", "???", "?!", "...") if english else ("！！！", "！！", "？？？", "!!!", "？！", "。。。", "……")
    )
    return text.rstrip("。！？!?.，, ") + marks


def transcript(text: str, dice: Dice) -> str:
    """Make a message read like a phone call run through speech recognition: fillers, little punctuation."""
    parts = [p for p in text.replace("！", "，").replace("？", "，").replace("。", "，").split("，") if p]
    out: list[str] = []
    for part in parts:
        if dice.chance(0.35):
            out.append(dice.pick(FILLERS))
        out.append(part)
    sep = " " if dice.chance(0.5) else "，"
    return dice.pick(("[电话转写] ", "通话录音：", "客户：", "【来电记录】客户说：")) + sep.join(out)


def emoji(emotion: Emotion, dice: Dice, english: bool = False) -> str:
    """An emoji, bracket sticker or emoticon fitting the emotion (no Chinese [stickers] in English text)."""
    options = EMOJI[emotion]
    return dice.pick(tuple(o for o in options if not o.startswith("[")) if english else options)
