"""Users, roles and API keys: who may call aftersales, and which queues an agent sees."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select, update

from aftersales.config import Settings, get_settings
from aftersales.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError
from aftersales.storage import db
from aftersales.storage.tables import api_keys, users

ROLES = ("admin", "manager", "agent")
KEY_PREFIX = "as_"
_USERNAME = re.compile(r"^[\w.@-]{1,128}$", re.UNICODE)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: what the API's role checks read."""

    user_id: int
    username: str
    role: str
    queues: tuple[str, ...] = field(default_factory=tuple)
    display_name: str | None = None

    @property
    def sees_all_queues(self) -> bool:
        """Managers and admins see every queue; agents only their own."""
        return self.role in ("admin", "manager")

    def can_see_queue(self, queue: str | None) -> bool:
        """Whether a case in this queue is visible to the caller."""
        return self.sees_all_queues or (queue is not None and queue in self.queues)

    def to_dict(self) -> dict[str, Any]:
        """Public, JSON-ready view (no secrets)."""
        return {
            "id": self.user_id,
            "username": self.username,
            "role": self.role,
            "queues": list(self.queues),
            "display_name": self.display_name,
        }


def hash_key(secret: str) -> str:
    """SHA-256 of an API key: keys are 256-bit random, so a slow password hash would only cost every request."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    """Argon2id for human passwords (low entropy, so a deliberately slow hash)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant-time check of a password against its Argon2 hash."""
    if not stored:
        return False
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error

    try:
        return PasswordHasher().verify(stored, password)
    except Argon2Error:
        return False


def _new_key() -> tuple[str, str]:
    """A fresh key and its lookup prefix (the prefix is stored in clear so a key is found without scanning)."""
    prefix = secrets.token_hex(4)
    return f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def create_user(
    username: str,
    role: str,
    queues: list[str] | None = None,
    display_name: str | None = None,
    password: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Create a user with one API key; the key is returned once and only its hash is kept."""
    if not _USERNAME.match(username or ""):
        raise InvalidInputError(f"username {username!r}: use 1-128 letters, digits, '.', '_', '-' or '@'")
    if role not in ROLES:
        raise InvalidInputError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    queues = [q.strip() for q in (queues or []) if q.strip()]
    if role == "agent" and not queues:
        raise InvalidInputError("an agent needs at least one --queue (the queues whose cases they work)")
    engine = db.get_engine(settings or get_settings())
    key, prefix = _new_key()
    with db.transaction(engine) as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
            raise ConflictError(f"user {username!r} already exists")
        user_id = conn.execute(
            insert(users).values(
                username=username,
                display_name=display_name,
                role=role,
                queues=queues,
                password_hash=hash_password(password) if password else None,
                created_at=db.utcnow(),
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(
            insert(api_keys).values(
                user_id=user_id, name="default", prefix=prefix, key_hash=hash_key(key), created_at=db.utcnow()
            )
        )
    return {"user": username, "role": role, "queues": queues, "api_key": key}


def issue_key(username: str, name: str = "extra", settings: Settings | None = None) -> str:
    """Another API key for an existing user (e.g. one per integration), shown once."""
    engine = db.get_engine(settings or get_settings())
    key, prefix = _new_key()
    with db.transaction(engine) as conn:
        row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
        if row is None:
            raise NotFoundError(f"user {username!r} not found")
        conn.execute(
            insert(api_keys).values(
                user_id=row.id, name=name, prefix=prefix, key_hash=hash_key(key), created_at=db.utcnow()
            )
        )
    return key


def revoke_keys(username: str, settings: Settings | None = None) -> int:
    """Revoke every active key of a user; returns how many."""
    engine = db.get_engine(settings or get_settings())
    with db.transaction(engine) as conn:
        row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
        if row is None:
            raise NotFoundError(f"user {username!r} not found")
        res = conn.execute(
            update(api_keys)
            .where(api_keys.c.user_id == row.id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=db.utcnow())
        )
        return int(res.rowcount or 0)


def list_users(settings: Settings | None = None) -> list[dict[str, Any]]:
    """Every user with role, queues and active state (never key material)."""
    engine = db.get_engine(settings or get_settings())
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.id)).mappings().all()
    return [
        {
            "id": r["id"],
            "username": r["username"],
            "display_name": r["display_name"],
            "role": r["role"],
            "queues": list(r["queues"] or []),
            "active": bool(r["active"]),
        }
        for r in rows
    ]


class KeyCache:
    """Maps key hashes to principals for a short time so each request does not hit the users table."""

    def __init__(self, ttl_seconds: float = 30.0) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, digest: str) -> Principal | None:
        """The cached principal, when still fresh."""
        hit = self._entries.get(digest)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, digest: str, principal: Principal) -> None:
        """Remember a verified key."""
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[digest] = (time.monotonic() + self.ttl, principal)

    def clear(self) -> None:
        """Forget everything (after revocations in tests or admin actions)."""
        self._entries.clear()


_KEY_CACHE = KeyCache()


def authenticate_key(key: str, engine: Engine, cache: KeyCache | None = _KEY_CACHE) -> Principal:
    """Resolve `Authorization: Bearer KEY` to an active user, or raise AuthenticationError."""
    match = re.fullmatch(r"as_([0-9a-f]{8})_[\w-]{20,}", key or "")
    if match is None:
        raise AuthenticationError("malformed API key (expected as_XXXXXXXX_…)")
    digest = hash_key(key)
    if cache is not None and (hit := cache.get(digest)) is not None:
        return hit
    query = (
        select(api_keys.c.id, api_keys.c.key_hash, users)
        .join(users, users.c.id == api_keys.c.user_id)
        .where(api_keys.c.prefix == match.group(1), api_keys.c.revoked_at.is_(None), users.c.active.is_(True))
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    for row in rows:
        if hmac.compare_digest(row["key_hash"], digest):
            principal = _principal(row)
            if cache is not None:
                cache.put(digest, principal)
            return principal
    raise AuthenticationError("unknown or revoked API key")


def authenticate_password(username: str, password: str, settings: Settings | None = None) -> Principal:
    """Check a username/password (web login) and return the principal."""
    engine = db.get_engine(settings or get_settings())
    with engine.connect() as conn:
        row = (
            conn.execute(select(users).where(users.c.username == username, users.c.active.is_(True))).mappings().first()
        )
    if row is None or not verify_password(row["password_hash"], password):
        raise AuthenticationError("wrong username or password")
    return _principal(row)


def set_password(username: str, password: str, settings: Settings | None = None) -> None:
    """Set or replace a user's web-login password."""
    if len(password) < 8:
        raise InvalidInputError("password: use at least 8 characters")
    engine = db.get_engine(settings or get_settings())
    with db.transaction(engine) as conn:
        res = conn.execute(
            update(users).where(users.c.username == username).values(password_hash=hash_password(password))
        )
        if not res.rowcount:
            raise NotFoundError(f"user {username!r} not found")


def _principal(row: Any) -> Principal:
    return Principal(
        user_id=int(row["id"]),
        username=row["username"],
        role=row["role"],
        queues=tuple(row["queues"] or ()),
        display_name=row["display_name"],
    )


def system_principal() -> Principal:
    """The actor for CLI/demo work run by the operator (admin rights, never exposed over HTTP)."""
    return Principal(user_id=0, username="system", role="admin")
