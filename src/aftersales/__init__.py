"""aftersales: self-hosted after-sales intelligence for returns and exchanges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Analyzer", "__version__"]

if TYPE_CHECKING:
    from aftersales.nlp.analyzer import Analyzer


def __getattr__(name: str) -> Any:
    """`from aftersales import Analyzer` (DESIGN.md §5) without loading the models for every CLI command."""
    if name == "Analyzer":
        from aftersales.nlp.analyzer import Analyzer

        return Analyzer
    raise AttributeError(f"module 'aftersales' has no attribute {name!r}")
