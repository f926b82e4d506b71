"""Fake customer identities for the demo merchant: plausible names, masked phones, example.com e-mails."""

from __future__ import annotations

import numpy as np

# Common surnames, weighted roughly by frequency so that 王/李/张/刘/陈 dominate as they do in real rosters.
SURNAMES: tuple[str, ...] = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚",
    "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白",
    "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺",
    "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴", "莫", "孔", "欧阳", "上官", "司马",
)  # fmt: skip
_SURNAME_WEIGHTS = np.array([7.2, 7.0, 6.8, 5.4, 4.5] + [2.0] * 15 + [1.0] * (len(SURNAMES) - 23) + [0.15, 0.1, 0.1])
SURNAME_P = _SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum()

GIVEN_CHARS: tuple[str, ...] = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉宇浩然子涵梓轩思琪欣怡雨晨一诺可馨"
    "嘉怡佳琪俊杰志强建国海燕晓东晓梅文博天佑若曦雅婷婉清书瑶诗涵沐阳宇航梦琪心怡晨曦子墨亦凡"
)
EN_FIRST: tuple[str, ...] = (
    "Emma", "Olivia", "Liam", "Noah", "Sophia", "James", "Lucas", "Mia", "Ethan", "Grace", "Daniel", "Chloe",
    "Kevin", "Vivian", "Jason", "Cindy", "Eric", "Tiffany", "Leo", "Nina", "Oscar", "Ruby", "Sam", "Zoe",
)  # fmt: skip
EN_LAST: tuple[str, ...] = (
    "Li", "Wang", "Chen", "Zhang", "Liu", "Smith", "Müller", "Brown", "Kim", "Nguyen", "Tan", "Wong",
    "Lee", "Garcia", "Ito", "Martin", "Lam", "Ho", "Clarke", "Novak",
)  # fmt: skip
_MOBILE_PREFIXES: tuple[str, ...] = (
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "158",
    "186",
    "188",
    "199",
)


def chinese_names(rng: np.random.Generator, n: int) -> list[str]:
    """n fake Chinese names, each marked （演示） so nobody mistakes them for real people."""
    surnames = rng.choice(len(SURNAMES), size=n, p=SURNAME_P)
    two = rng.random(n) < 0.72
    first = rng.integers(0, len(GIVEN_CHARS), size=n)
    second = rng.integers(0, len(GIVEN_CHARS), size=n)
    return [
        f"{SURNAMES[s]}{GIVEN_CHARS[a]}{GIVEN_CHARS[b] if t else ''}（演示）"
        for s, a, b, t in zip(surnames.tolist(), first.tolist(), second.tolist(), two.tolist(), strict=True)
    ]


def english_names(rng: np.random.Generator, n: int) -> list[str]:
    """n fake Western-style names for the English-writing customers, marked (demo)."""
    first = rng.integers(0, len(EN_FIRST), size=n).tolist()
    last = rng.integers(0, len(EN_LAST), size=n).tolist()
    return [f"{EN_FIRST[a]} {EN_LAST[b]} (demo)" for a, b in zip(first, last, strict=True)]


def masked_phones(rng: np.random.Generator, n: int) -> list[str]:
    """Phones in the masked 138****1234 form Chinese shops display, so no real full number appears."""
    prefixes = rng.integers(0, len(_MOBILE_PREFIXES), size=n).tolist()
    tails = rng.integers(0, 10_000, size=n).tolist()
    return [f"{_MOBILE_PREFIXES[p]}****{t:04d}" for p, t in zip(prefixes, tails, strict=True)]


def demo_emails(customer_ids: list[str]) -> list[str]:
    """E-mails on example.com (reserved for documentation), one per customer id."""
    return [f"{cid.lower()}@demo.example.com" for cid in customer_ids]
