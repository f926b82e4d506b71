"""Static files: our CSS/JS from the package, and plotly.js from the installed plotly package (no CDN, offline)."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import Response

from aftersales.errors import NotFoundError

router = APIRouter(include_in_schema=False)
TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
OWN = ("app.css", "app.js", "charts.js")
LONG_CACHE = "public, max-age=31536000, immutable"  # URLs carry ?v=<version>
PLOTLY_FILE = "plotly-basic.min.js"  # plotly.js v4.1.1 basic bundle, MIT (vendor/plotly-basic.LICENSE)


@lru_cache(maxsize=8)
def _own(name: str) -> bytes:
    return resources.files("aftersales.web").joinpath("static", name).read_bytes()


@lru_cache(maxsize=1)
def plotly_bundle() -> tuple[bytes, bytes]:
    """plotly.js, plain and gzipped (compressed once per process).

    The vendored *basic* bundle (scatter, bar, pie: all the pages draw; 1.2 MB) from the npm package
    plotly.js-basic-dist-min, same plotly.js version as the Python plotly package ships; its full bundle (4.8 MB)
    took ~1 s of the dashboard's first load just to parse. Falls back to the full bundle if the file is missing.
    """
    vendored = resources.files("aftersales.web").joinpath("static", "vendor", PLOTLY_FILE)
    if vendored.is_file():
        raw = vendored.read_bytes()
    else:
        raw = resources.files("plotly").joinpath("package_data", "plotly.min.js").read_bytes()
    return raw, gzip.compress(raw, compresslevel=9)


@lru_cache(maxsize=1)
def plotly_version() -> str:
    """A content hash of the served bundle, to version its URL (cached for a year)."""
    return hashlib.sha256(plotly_bundle()[0]).hexdigest()[:12]


@router.get("/static/plotly.min.js")
def plotly_js(request: Request) -> Response:
    """plotly.js, gzipped when the browser accepts it, cached for a year (the URL names the version)."""
    raw, packed = plotly_bundle()
    headers = {"Cache-Control": LONG_CACHE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type=TYPES[".js"], headers=headers)
    return Response(raw, media_type=TYPES[".js"], headers=headers)


@router.get("/static/{name}")
def own_static(name: str) -> Response:
    """The app's stylesheet and scripts."""
    if name not in OWN:
        raise NotFoundError(f"static file {name!r} not found")
    suffix = name[name.rindex(".") :]
    return Response(_own(name), media_type=TYPES[suffix], headers={"Cache-Control": LONG_CACHE})
