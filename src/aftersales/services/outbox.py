"""The notification outbox (table `notifications`): enqueue inside the caller's transaction, deliver later with retries.

Row life cycle: pending → sending (claimed by one worker, with a lease) → sent | pending (retry at next_attempt_at)
| dead (max_attempts used). `attempts` counts claims; it is bumped when a row is claimed, so it doubles as the claim
token: a worker only finishes a row whose attempts still equal what it claimed.

Why a lease instead of holding row locks while sending: SMTP/HTTP calls take seconds and a transaction held open
around them would pin a connection (and, on SQLite, the single write lock) for the whole batch. The claim is one short
transaction — `FOR UPDATE SKIP LOCKED` on PostgreSQL so concurrent workers split the due rows instead of queueing on
each other, one atomic `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING` on SQLite, whose writers are serialised
anyway. The lease (status "sending", next_attempt_at = lease expiry) makes a crashed worker's rows claimable again.
Delivery is therefore at-least-once: only a crash between a successful send and its "sent" update repeats a message.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update

from aftersales.config import Settings
from aftersales.errors import ConfigError, DeliveryError
from aftersales.storage import db
from aftersales.storage.tables import notifications
from aftersales.workflow.senders import OutboundMessage, Sender, SmtpSender, WebhookSender, backoff_delay

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
EMAIL_CHANNEL = "email"
CHANNEL_MAX = 32  # notifications.channel is String(32)
DEFAULT_LEASE = dt.timedelta(minutes=10)

n = notifications.c


@dataclass
class DeliveryReport:
    """What one deliver_due run did."""

    sent: int = 0
    retried: int = 0  # failed, back to pending with a later next_attempt_at
    dead: int = 0  # gave up after max_attempts
    released: int = 0  # claimed but not tried before the lease ran short; back to pending untouched
    errors: list[str] = field(default_factory=list)  # "#id channel: reason" for every failure


def enqueue(
    conn: Connection,
    *,
    case_id: str | None,
    channel: str,
    recipient: str,
    subject: str | None,
    body: str,
    payload: Mapping[str, Any] | None = None,
    not_before: dt.datetime | None = None,
) -> int:
    """Add a pending notification in the caller's transaction (so it exists iff the change that caused it commits)."""
    if not channel or len(channel) > CHANNEL_MAX:
        raise ConfigError(f"notification channel must be 1-{CHANNEL_MAX} characters, got {channel!r}")
    result = conn.execute(
        insert(notifications).values(
            case_id=case_id,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            payload=dict(payload or {}),
            status=PENDING,
            attempts=0,
            next_attempt_at=not_before,
            # Set here, not by the server default: PostgreSQL's CURRENT_TIMESTAMP is session-local, not UTC.
            created_at=db.utcnow(),
        )
    )
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of one row always has a key
    return int(key[0])


def _due(now: dt.datetime) -> Any:
    """Pending rows whose time has come, and rows whose worker's lease ran out (the worker died mid-batch)."""
    return or_(
        and_(n.status == PENDING, or_(n.next_attempt_at.is_(None), n.next_attempt_at <= now)),
        and_(n.status == SENDING, n.next_attempt_at <= now),
    )


def _bury_exhausted(engine: Engine, now: dt.datetime, max_attempts: int) -> int:
    """Due rows that already used every attempt (a worker died on the last one, or max_attempts was lowered)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(notifications)
            .where(_due(now), n.attempts >= max_attempts)
            .values(status=DEAD, next_attempt_at=None, last_error="gave up: attempts exhausted without a result")
        )
    return result.rowcount


_CLAIM_COLUMNS = (n.id, n.channel, n.recipient, n.subject, n.body, n.payload, n.attempts)


def _claim(engine: Engine, now: dt.datetime, batch: int, max_attempts: int, lease: dt.timedelta) -> list[Any]:
    """Mark up to `batch` due rows as ours (status sending, attempts + 1, lease expiry) in one short transaction."""
    candidates = select(n.id).where(_due(now), n.attempts < max_attempts).order_by(n.id).limit(batch)
    claim = update(notifications).values(status=SENDING, attempts=n.attempts + 1, next_attempt_at=now + lease)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Locked rows belong to a worker claiming right now: skip them rather than wait and then find them gone.
            ids = list(conn.execute(candidates.with_for_update(skip_locked=True)).scalars())
            if not ids:
                return []
            rows = conn.execute(claim.where(n.id.in_(ids)).returning(*_CLAIM_COLUMNS)).all()
        else:
            # One statement: SQLite takes its write lock before reading, so two workers cannot pick the same rows.
            rows = conn.execute(claim.where(n.id.in_(candidates.scalar_subquery())).returning(*_CLAIM_COLUMNS)).all()
    return sorted(rows, key=lambda r: r.id)


def _finish(engine: Engine, row_id: int, token: int, **values: Any) -> bool:
    """Write a row's outcome if we still hold it; False when the lease expired and another worker took it over."""
    with engine.begin() as conn:
        result = conn.execute(
            update(notifications).where(n.id == row_id, n.status == SENDING, n.attempts == token).values(**values)
        )
    return result.rowcount == 1


def deliver_due(
    engine: Engine,
    senders: Mapping[str, Sender],
    now: dt.datetime | None = None,
    batch: int = 100,
    max_attempts: int = 8,
    lease: dt.timedelta = DEFAULT_LEASE,
) -> DeliveryReport:
    """Send every due pending notification once; failures are rescheduled with backoff, never dropped."""
    if batch < 1 or max_attempts < 1:
        raise ValueError("batch and max_attempts must be >= 1")
    clock_fixed = now is not None
    start = now or db.utcnow()
    report = DeliveryReport()
    report.dead += _bury_exhausted(engine, start, max_attempts)
    rows = _claim(engine, start, batch, max_attempts, lease)
    # Stop starting sends well before the lease ends, so no other worker can reclaim a row we are still sending.
    deadline = time.monotonic() + lease.total_seconds() * 0.8
    for index, row in enumerate(rows):
        if time.monotonic() > deadline:
            for rest in rows[index:]:
                # Not tried: give the attempt back and make the row due again at once.
                if _finish(
                    engine, rest.id, rest.attempts, status=PENDING, attempts=rest.attempts - 1, next_attempt_at=start
                ):
                    report.released += 1
            break
        stamp = start if clock_fixed else db.utcnow()
        message = OutboundMessage(row.channel, row.recipient, row.subject, row.body, dict(row.payload or {}))
        try:
            sender = senders.get(row.channel)
            if sender is None:
                # Retried like any failure: the sender may be configured before the attempts run out.
                raise DeliveryError(f"no sender configured for channel {row.channel!r}")
            sender.send(message)
        except Exception as exc:  # a crashing sender must not strand the rest of the batch in "sending"
            reason = exc.message if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            report.errors.append(f"#{row.id} {row.channel}: {reason}")
            if row.attempts >= max_attempts:
                if _finish(engine, row.id, row.attempts, status=DEAD, next_attempt_at=None, last_error=reason):
                    report.dead += 1
                log.warning("notification #%s is dead after %s attempts: %s", row.id, row.attempts, reason)
            else:
                retry_at = stamp + backoff_delay(row.attempts)
                if _finish(engine, row.id, row.attempts, status=PENDING, next_attempt_at=retry_at, last_error=reason):
                    report.retried += 1
            continue
        if _finish(engine, row.id, row.attempts, status=SENT, sent_at=stamp, next_attempt_at=None, last_error=None):
            report.sent += 1
        else:
            log.warning("notification #%s was sent after its lease expired; another worker may repeat it", row.id)
    return report


def requeue_dead(conn: Connection, ids: list[int] | None = None, now: dt.datetime | None = None) -> int:
    """Give dead notifications a fresh set of attempts (after fixing the sender); all of them when ids is None."""
    stmt = update(notifications).where(n.status == DEAD)
    if ids is not None:
        stmt = stmt.where(n.id.in_(ids))
    return conn.execute(stmt.values(status=PENDING, attempts=0, next_attempt_at=now or db.utcnow())).rowcount


def senders_from_settings(settings: Settings) -> dict[str, Sender]:
    """The configured senders by channel name: "email" when smtp_host is set, plus one per entry of `webhooks`."""
    senders: dict[str, Sender] = {}
    if settings.smtp_host:
        if not settings.smtp_sender:
            raise ConfigError("smtp_host is set but smtp_sender (the From address) is not")
        if settings.smtp_ssl and settings.smtp_starttls:
            raise ConfigError("smtp_ssl and smtp_starttls exclude each other: 465 uses ssl, 587 uses starttls")
        senders[EMAIL_CHANNEL] = SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            ssl=settings.smtp_ssl,
            timeout=settings.smtp_timeout,
        )
    for name, hook in settings.webhooks.items():
        if name == EMAIL_CHANNEL or not name or len(name) > CHANNEL_MAX:
            raise ConfigError(f"webhooks: {name!r} cannot be a channel name (1-{CHANNEL_MAX} chars, not 'email')")
        secret = hook.secret.get_secret_value() if hook.secret else None
        senders[name] = WebhookSender(hook.kind, hook.url, secret=secret, timeout=hook.timeout)
    return senders
