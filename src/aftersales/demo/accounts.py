"""Demo users (one manager, one admin, an agent per queue) and their API keys, written to a private file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aftersales.config import Settings
from aftersales.errors import ConflictError
from aftersales.services.users import create_user, issue_key, set_password

DEMO_PASSWORD = "demo-pass-123"  # the demo is local and synthetic; the file and the docs say so
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("demo-admin", "admin", (), "演示管理员"),
    ("demo-manager", "manager", (), "演示主管"),
    ("agent-care", "agent", ("emotion_care", "complaints"), "情感关怀专员"),
    ("agent-tech", "agent", ("tech_support",), "技术支持专员"),
    ("agent-logistics", "agent", ("logistics",), "物流专员"),
    ("agent-vip", "agent", ("vip",), "VIP专席"),
    ("agent-general", "agent", ("general",), "综合客服"),
)


def ensure_demo_users(settings: Settings, out_dir: Path) -> dict[str, Any]:
    """Create the demo users (or give existing ones a fresh key) and write `credentials.json` (mode 600)."""
    creds: dict[str, Any] = {"note": "SYNTHETIC demo accounts for a local demo; never reuse these.", "users": []}
    for name, role, queues, display in DEMO_USERS:
        try:
            key = create_user(name, role, list(queues), display, DEMO_PASSWORD, settings)["api_key"]
        except ConflictError:
            key = issue_key(name, "demo", settings)
            set_password(name, DEMO_PASSWORD, settings)
        creds["users"].append(
            {"username": name, "role": role, "queues": list(queues), "password": DEMO_PASSWORD, "api_key": key}
        )
    path = out_dir / "credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(creds, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(path, 0o600)
    return {"path": str(path), "users": [u["username"] for u in creds["users"]]}
