"""Importers that map public data sets onto the canonical entities (see docs/importers.md)."""

from aftersales.ingest.importers.base import ImportReport
from aftersales.ingest.importers.olist import import_olist
from aftersales.ingest.importers.online_retail import import_online_retail

__all__ = ["ImportReport", "import_olist", "import_online_retail"]
