"""Knowledge-base articles: CRUD for admins/managers, and suggestions for the agent working a case."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from aftersales.config import Settings, get_settings
from aftersales.errors import ConflictError, InvalidInputError, NotFoundError
from aftersales.storage import db
from aftersales.storage.tables import kb_articles

FIELDS = ("article_id", "title", "body", "tags", "language")


def _public(row: Any) -> dict[str, Any]:
    return {k: row[k] for k in FIELDS} | {"updated_at": row["updated_at"].isoformat() if row["updated_at"] else None}


def list_articles(
    q: str | None = None, limit: int = 100, offset: int = 0, settings: Settings | None = None
) -> dict[str, Any]:
    """Articles, optionally filtered by a substring of title/tags; `{data, count}`."""
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInputError("limit must be 1..1000 and offset ≥ 0")
    query = select(kb_articles)
    count = select(func.count()).select_from(kb_articles)
    if q:
        cond = kb_articles.c.title.contains(q) | kb_articles.c.tags.contains(q)
        query, count = query.where(cond), count.where(cond)
    with db.get_engine(settings or get_settings()).connect() as conn:
        rows = conn.execute(query.order_by(kb_articles.c.article_id).limit(limit).offset(offset)).mappings().all()
        total = int(conn.execute(count).scalar_one())
    return {"data": [_public(r) for r in rows], "count": total}


def get_article(article_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """One article, or E404."""
    with db.get_engine(settings or get_settings()).connect() as conn:
        row = conn.execute(select(kb_articles).where(kb_articles.c.article_id == article_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"article {article_id!r} not found")
    return _public(row)


def create_article(data: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Add an article (id generated when absent); E409 when the id exists."""
    settings = settings or get_settings()
    article_id = data.get("article_id") or f"KB-{secrets.token_hex(4)}"
    now = db.utcnow()
    with db.transaction(db.get_engine(settings)) as conn:
        if conn.execute(select(kb_articles.c.article_id).where(kb_articles.c.article_id == article_id)).first():
            raise ConflictError(f"article {article_id!r} already exists")
        conn.execute(
            insert(kb_articles).values(
                article_id=article_id,
                title=data["title"],
                body=data["body"],
                tags=data.get("tags"),
                language=data.get("language"),
                created_at=now,
                updated_at=now,
            )
        )
    return get_article(article_id, settings)


def update_article(article_id: str, data: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Change some fields of an article."""
    settings = settings or get_settings()
    patch = {k: v for k, v in data.items() if k in FIELDS[1:] and v is not None}
    with db.transaction(db.get_engine(settings)) as conn:
        res = conn.execute(
            update(kb_articles).where(kb_articles.c.article_id == article_id).values(**patch, updated_at=db.utcnow())
        )
        if not res.rowcount:
            raise NotFoundError(f"article {article_id!r} not found")
    return get_article(article_id, settings)


def delete_article(article_id: str, settings: Settings | None = None) -> None:
    """Remove an article."""
    with db.transaction(db.get_engine(settings or get_settings())) as conn:
        res = conn.execute(delete(kb_articles).where(kb_articles.c.article_id == article_id))
        if not res.rowcount:
            raise NotFoundError(f"article {article_id!r} not found")


def all_articles(settings: Settings | None = None) -> list[dict[str, Any]]:
    """Every article, for building the retrieval index."""
    with db.get_engine(settings or get_settings()).connect() as conn:
        rows = conn.execute(select(*[kb_articles.c[f] for f in FIELDS]).order_by(kb_articles.c.article_id))
        return [dict(r) for r in rows.mappings()]
