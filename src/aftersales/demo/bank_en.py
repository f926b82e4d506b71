"""English customer phrase banks (synthetic, demo merchant) for the ~10% of messages written in English.

Slots are those of `bank_zh`, with {p} the English product name.
"""

from __future__ import annotations

from aftersales.vocab import Emotion, Reason

R = Reason
E = Emotion

OPENERS: dict[str, tuple[str, ...]] = {
    "chat": ("Hi,", "Hello,", "Hey there,", "Hi there!", "Good morning,", "Excuse me,", "", "Hello?"),
    "phone": ("Hello, yes,", "Hi, um,", "Yeah hi,", "Hello, is this customer service?"),
    "email": ("Dear Customer Service,", "Hello,", "To whom it may concern,", "Hi team,",
              "Dear Demo Merchant support,"),
    "social": ("@DemoMerchant", "Warning to everyone:", "PSA:", "Just a heads-up about Demo Merchant:"),
    "review": ("", "Update:", "After a week of use:", "Honest review:"),
    "ticket": ("[Support ticket]", "Issue:", "Order {oid}:", ""),
    "return_form": ("", "Reason for return:", "Details:"),
}  # fmt: skip
PRODUCT_REF: tuple[str, ...] = (
    "the {p} I ordered last week", "my {p} (order {oid})", "the {p}", "order {oid}",
        "the {p} I bought on your store",
    "the {p} I got for my mom", "the {p} that arrived yesterday", "my recent order of the {p}",
)  # fmt: skip
PROBLEM: dict[Reason, tuple[str, ...]] = {
    R.QUALITY_DEFECT: ("{ref} stopped working after {n} days", "{ref} is defective",
                       "{ref} broke almost immediately",
                       "the quality of {ref} is really poor, it's already falling apart",
                           "{ref} doesn't turn on at all",
                       "{ref} makes a weird burning smell", "{ref} has a manufacturing defect"),
    R.DAMAGED_IN_TRANSIT: ("{ref} arrived damaged", "the box was crushed and {ref} is cracked",
                           "{ref} was broken when I opened the parcel",
                               "the courier clearly dropped it, {ref} is dented"),
    R.WRONG_ITEM: ("I received the wrong item instead of {ref}", "you sent me the wrong colour",
                   "this is not what I ordered",
                   "wrong size was shipped, I ordered {size}"),
    R.MISSING_PARTS: ("{ref} came with parts missing", "the charging cable is missing from the box",
                      "only one item arrived but I paid for {q}",
                          "screws are missing so I can't assemble it"),
    R.NOT_AS_DESCRIBED: ("{ref} looks nothing like the photos", "the listing said {claim} but it isn't",
                         "the colour is completely different from the pictures", "{ref} is not as described"),
    R.SIZE_FIT: ("{ref} is too small", "{ref} runs a full size large",
                 "I followed the size chart and ordered {size} but it doesn't fit",
                 "{ref} is way too tight", "the shoes pinch my toes"),
    R.LOGISTICS_DELAY: ("my parcel hasn't moved in {n} days",
                        "it's been {n} days and {ref} still hasn't shipped",
                        "tracking has been stuck in {hub} for days", "the delivery is super late",
                        "tracking says delivered but I never got it"),
    R.HARD_TO_USE: ("I can't figure out how to use {ref}", "the manual is impossible to understand",
                    "{ref} is way too complicated to set up",
                        "I've spent an hour and still can't get {ref} to work",
                    "the instructions don't explain anything"),
    R.CHANGED_MIND: ("I changed my mind about {ref}", "I don't need {ref} anymore", "I ordered by mistake",
                     "I'd like to use the 7-day no-reason return"),
    R.PRICE: ("the price dropped right after I bought {ref}", "it's {m} yuan cheaper now",
              "my coupon wasn't applied"),
    R.COUNTERFEIT: ("I think {ref} is fake", "the anti-counterfeit code doesn't verify",
                    "this doesn't look genuine at all"),
    R.SERVICE_ATTITUDE: ("your support staff were rude", "nobody ever replies to my messages",
                         "the agent hung up on me", "I keep getting copy-paste answers",
                             "I was promised a call back that never came"),
    R.OTHER: ("I still haven't received my invoice", "the free gift was missing",
              "I need to change my address"),
}  # fmt: skip
LATENT: dict[Reason, tuple[str, ...]] = {
    R.QUALITY_DEFECT: ("{ref} seems a bit flimsy, is that normal?",
                       "not sure if {ref} is supposed to make that noise"),
    R.SIZE_FIT: ("{ref} feels a little snug, will it stretch?",),
    R.NOT_AS_DESCRIBED: ("the colour looks slightly different, maybe it's the lighting?",),
    R.LOGISTICS_DELAY: ("any idea when my parcel will arrive?", "delivery seems a bit slow"),
    R.HARD_TO_USE: ("could you explain how to use {ref}?", "the manual is a bit confusing"),
    R.DAMAGED_IN_TRANSIT: ("the box was a bit dented, hope the item is ok",),
}  # fmt: skip
EMOTION: dict[Emotion, dict[int, tuple[str, ...]]] = {
    E.ANGER: {1: ("This is annoying.", "Not happy about this."),
              2: ("I'm really angry.", "This is ridiculous!", "Unbelievable."),
              3: ("This is absolutely UNACCEPTABLE!!", "Worst service I have EVER had!",
                  "You people are scammers!")},
    E.DISSATISFACTION: {1: ("Not great.", "A bit disappointing, to be honest."),
                        2: ("I'm very unhappy with this.", "This is not okay.", "Really poor experience."),
                        3: ("I refuse to accept this.", "This is completely unacceptable.")},
    E.DISAPPOINTMENT: {1: ("A little disappointed.", "I expected better."),
                       2: ("So disappointed.", "I really trusted your brand.", "Such a letdown."),
                       3: ("I've lost all trust in you.", "I feel completely helpless here.",
                           "Never buying here again.")},
    E.ANXIETY: {1: ("Just checking on the status.", "A bit worried."),
                2: ("I really need this soon.", "I'm getting worried.", "When will I get my money back?"),
                3: ("I'm desperate, I need it tomorrow!", "I'm so stressed about this, please help!")},
    E.SATISFACTION: {1: ("Pretty good.", "Works fine."), 2: ("Really happy with it!", "Great quality."),
                     3: ("Absolutely love it!!", "Best purchase this year!")},
    E.RELIEF: {1: ("Got it.", "Okay, good."), 2: ("What a relief.", "Glad that's sorted."),
               3: ("Finally resolved, huge relief!",)},
    E.GRATITUDE: {1: ("Thanks.", "Thank you."), 2: ("Thanks so much for your help!", "Really appreciate it."),
                  3: ("Thank you SO much, amazing support!", "Huge thanks to the support team!")},
}  # fmt: skip
REQUEST: dict[str, tuple[str, ...]] = {
    "return": ("I want a full refund.", "Please process my return.", "I'd like to return it.",
               "Refund me please."),
    "exchange": ("Can I exchange it for a {size2}?", "Please send a replacement.", "I'd like an exchange."),
    "refund_only": ("Please refund the difference.", "A partial refund would be fine.",
                    "Just refund me, no need to send it back."),
    "any": ("Please sort this out.", "What are you going to do about it?", "Please advise.",
            "I need a solution."),
}  # fmt: skip
URGENCY: tuple[str, ...] = (
    "ASAP please.",
    "I need it this week.",
    "It's a gift, please hurry.",
    "Today if possible.",
)
FOLLOWUP: tuple[str, ...] = (
    "I've contacted you {k} times about this now.", "I was told {n} days, still nothing.",
        "Following up again on order {oid}.",
    "Still waiting for a reply.", "No one has contacted me yet.", "The refund still hasn't arrived.",
)  # fmt: skip
THREAT_INTENT: tuple[str, ...] = (
    "If this isn't fixed I'll file a complaint with 12315.", "I'll leave a 1-star review.",
        "I'm going to post this on Weibo.",
    "I will dispute the charge with my bank.", "I'll report you to the consumer association.",
        "I'll take legal action if needed.",
)  # fmt: skip
THREAT_FORMAL: tuple[str, ...] = (
    "I have filed a complaint with 12315 (case {code}).", "I've opened a platform dispute.",
        "I've posted the whole story on Weibo.",
    "I've left a 1-star review.", "My lawyer is preparing a claim.",
        "I reported this to the consumer association.",
)  # fmt: skip
CLOSERS: tuple[str, ...] = ("Thanks.", "Regards.", "Best,", "Thank you.", "Cheers.", "")
LOGISTICS_QUESTION: tuple[str, ...] = (
    "When will order {oid} ship?", "Can you ship with SF Express?",
        "How long does delivery to {region} take?",
    "Can I change my delivery address?", "What's the tracking number?",
)  # fmt: skip
USAGE_QUESTION: tuple[str, ...] = (
    "How do I clean the {p}?", "What's the warranty on the {p}?", "Is there a video showing how to use the {p}?",
    "Do you sell spare parts for the {p}?",
)  # fmt: skip
USAGE_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "小家电": ("Is the {p} dishwasher safe?", "Does the {p} work on 110 V?"),
    "手机配件": ("Does the {p} work with an iPhone?",),
    "服装": ("Can the {p} be machine washed?", "Will the {p} shrink?"),
    "鞋靴": ("Do the {p} run large or small?",),
    "美妆": ("Is the {p} OK for sensitive skin?",),
    "母婴": ("What age is the {p} for?",),
    "家居": ("How do I assemble the {p}?",),
}
PRICE_QUESTION: tuple[str, ...] = (
    "Can I get an invoice?",
    "Any coupons available?",
    "Do you offer price protection?",
)
REVIEW_POSITIVE: tuple[str, ...] = (
    "The {p} arrived quickly. {e}", "Second time buying. {e}", "{e} Well packed too.", "{e} Would buy again.",
)  # fmt: skip
REVIEW_NEUTRAL: tuple[str, ...] = (
    "It's okay, nothing special.",
    "Arrived, haven't tried it yet.",
    "Average for the price.",
)
THANKS_AFTER: tuple[str, ...] = (
    "Refund received. {e}", "The replacement {p} arrived. {e}", "All sorted now. {e}", "{e} Quick handling.",
)  # fmt: skip
CLAIMS: dict[str, tuple[str, ...]] = {
    "小家电": ("whisper-quiet", "one-touch cleaning", "1800 W power"),
    "手机配件": ("universal compatibility", "20 W fast charging", "active noise cancelling"),
    "服装": ("100% cotton", "pill-free fabric", "non-see-through"),
    "鞋靴": ("genuine leather", "waterproof", "non-slip"),
    "美妆": ("oil control", "12-hour wear", "suitable for sensitive skin"),
    "母婴": ("ultra-thin and breathable", "anti-colic", "one-hand fold"),
    "家居": ("solid wood", "non-stick", "24-hour heat retention"),
}
