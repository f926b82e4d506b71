"""docs/data.md documents every entity, column and header alias the code accepts (no silent drift)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aftersales.ingest.aliases import ALIASES
from aftersales.ingest.schema import SPECS

DOC = (Path(__file__).resolve().parents[3] / "docs" / "data.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("entity", list(SPECS))
def test_every_entity_and_column_is_documented(entity: str) -> None:
    section = DOC.split(f"### `{entity}`", 1)
    assert len(section) == 2, f"docs/data.md has no section for {entity}"
    body = section[1].split("###", 1)[0]
    for column in SPECS[entity].names:
        assert f"`{column}`" in body, f"{entity}.{column} is not in docs/data.md"


def test_every_alias_is_documented() -> None:
    missing = [(canonical, alias) for canonical, aliases in ALIASES.items() for alias in aliases if alias not in DOC]
    assert not missing
