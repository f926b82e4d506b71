"""Page routers of the web app (excluded from the OpenAPI schema; CSRF-checked on every unsafe request)."""
