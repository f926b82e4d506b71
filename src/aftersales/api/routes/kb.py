"""Knowledge-base articles: everyone reads, managers and admins write."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from aftersales.api.deps import ManagerDep, PrincipalDep, SettingsDep
from aftersales.api.schemas import KbArticleCreate, KbArticlesPublic, KbArticleUpdate
from aftersales.services import kb as svc
from aftersales.services import suggestions

router = APIRouter(prefix="/kb", tags=["knowledge base"])


@router.get("", response_model=KbArticlesPublic, summary="List articles")
def list_articles(
    settings: SettingsDep,
    _: PrincipalDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Filter by a substring of title or tags."""
    return svc.list_articles(q, limit, offset, settings)


@router.get("/search", summary="Hybrid search (BM25 + sentence embeddings), top k with scores")
def search(
    settings: SettingsDep,
    _: PrincipalDep,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    k: Annotated[int, Query(ge=1, le=20)] = 3,
) -> dict[str, Any]:
    """The same retrieval the workbench uses for suggestions."""
    return {"data": suggestions.search(q, k, settings)}


@router.get("/{article_id}", summary="One article")
def get_article(article_id: str, settings: SettingsDep, _: PrincipalDep) -> dict[str, Any]:
    """404 when missing."""
    return svc.get_article(article_id, settings)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an article")
def create_article(body: KbArticleCreate, settings: SettingsDep, _: ManagerDep) -> dict[str, Any]:
    """409 when the id exists."""
    return svc.create_article(body.model_dump(), settings)


@router.patch("/{article_id}", summary="Update an article")
def update_article(article_id: str, body: KbArticleUpdate, settings: SettingsDep, _: ManagerDep) -> dict[str, Any]:
    """Only the fields sent change."""
    return svc.update_article(article_id, body.model_dump(exclude_none=True), settings)


@router.delete("/{article_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an article")
def delete_article(article_id: str, settings: SettingsDep, _: ManagerDep) -> Response:
    """404 when missing."""
    svc.delete_article(article_id, settings)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
