"""REST API (FastAPI) under /api/v1: thin routes over `aftersales.services`."""

from aftersales.api.app import create_app

__all__ = ["create_app"]
