"""Notification senders: e-mail over SMTP and chat-robot / HTTP webhooks (企业微信, 钉钉, 飞书, Slack, generic).

A sender turns one OutboundMessage into one delivery attempt and raises DeliveryError (E320) with the reason when it
fails; it never retries by itself, because the outbox (services/outbox.py) owns retries, backoff and dead letters.
Robots answer HTTP 200 with an error code in the body (bad signature, rate limit …), so those codes count as failures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import smtplib
import ssl as ssl_lib
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from typing import Any, Final, Literal, Protocol

import httpx2

from aftersales.errors import DeliveryError

log = logging.getLogger(__name__)

WebhookKind = Literal["wecom", "dingtalk", "feishu", "slack", "generic"]
WEBHOOK_KINDS: Final[tuple[str, ...]] = ("wecom", "dingtalk", "feishu", "slack", "generic")
# 企业微信 rejects markdown content over 4096 UTF-8 bytes (errcode 40058); cut it ourselves instead of failing.
WECOM_MARKDOWN_MAX_BYTES: Final = 4096


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One notification as the outbox stores it: which sender, to whom, what."""

    channel: str  # the configured sender's name: "email" or a webhook name
    recipient: str  # e-mail address(es), comma-separated; for robots a label of the group (kept for audit)
    subject: str | None
    body: str
    payload: dict[str, Any] = field(default_factory=dict)  # extra data: "html" for e-mail, forwarded by generic


class Sender(Protocol):
    """Anything that can attempt one delivery, raising DeliveryError on failure."""

    def send(self, message: OutboundMessage) -> None:
        """Deliver once or raise DeliveryError."""


def backoff_delay(
    attempt: int,
    base: timedelta = timedelta(seconds=30),
    factor: float = 2.0,
    cap: timedelta = timedelta(hours=1),
    jitter: float = 0.1,
    rng: random.Random | None = None,
) -> timedelta:
    """Wait before retry number `attempt` (1 = after the first failure): base·factor^(attempt-1), capped, ±jitter."""
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, got {attempt}")
    # Cap the exponent first so a large attempt number cannot overflow the float.
    nominal = min(cap.total_seconds(), base.total_seconds() * factor ** min(attempt - 1, 64))
    # Jitter spreads retries of many rows that failed together (one outage) so they do not return in one burst.
    spread = (rng or random).uniform(-jitter, jitter) if jitter else 0.0
    return timedelta(seconds=nominal * (1 + spread))


def _first_line(text: str, limit: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --- e-mail ---------------------------------------------------------------------------------------------------


class SmtpSender:
    """Sends UTF-8 MIME e-mail through one SMTP server (plain, STARTTLS or implicit TLS)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        timeout: float = 10,
    ) -> None:
        if starttls and ssl:
            raise ValueError("choose starttls (port 587) or ssl (port 465), not both")
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.ssl, self.timeout = starttls, ssl, timeout

    def build(self, message: OutboundMessage, *, now: datetime | None = None) -> EmailMessage:
        """The MIME message: RFC 2047 encoded headers and a UTF-8 body, so Chinese text survives any relay."""
        mail = EmailMessage()
        mail["Subject"] = message.subject or _first_line(message.body) or "(no subject)"
        mail["From"] = self.sender
        mail["To"] = ", ".join(formataddr(pair) for pair in self._pairs(message))
        mail["Date"] = format_datetime(now or datetime.now(UTC))
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or None
        mail["Message-ID"] = make_msgid(domain=domain)
        # base64 keeps the message 7-bit clean: it survives relays without 8BITMIME and never breaks long lines.
        mail.set_content(message.body, charset="utf-8", cte="base64")
        html = message.payload.get("html")
        if isinstance(html, str) and html:
            mail.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
        return mail

    @staticmethod
    def _pairs(message: OutboundMessage) -> list[tuple[str, str]]:
        return [(name, addr) for name, addr in getaddresses([message.recipient.replace(";", ",")]) if addr]

    @classmethod
    def recipients(cls, message: OutboundMessage) -> list[str]:
        """Addresses from the recipient field (comma or semicolon separated, display names allowed)."""
        return [addr for _name, addr in cls._pairs(message)]

    def send(self, message: OutboundMessage) -> None:
        """Connect, optionally secure and log in, send, quit; any SMTP or socket error becomes DeliveryError."""
        recipients = self.recipients(message)
        if not recipients:
            raise DeliveryError(f"no e-mail address in recipient {message.recipient!r}")
        mail = self.build(message)
        where = f"smtp {self.host}:{self.port}"
        try:
            context = ssl_lib.create_default_context()
            smtp: smtplib.SMTP
            if self.ssl:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=context)
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(mail, from_addr=parseaddr(self.sender)[1], to_addrs=recipients)
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from exc
        except OSError as exc:  # refused connection, DNS failure, timeout, TLS handshake
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from exc
        if refused:
            # Some recipients got it; a retry would send them duplicates, so log the refused ones instead of raising.
            log.warning("%s: refused recipients %s (others accepted)", where, sorted(refused))


# --- webhooks -------------------------------------------------------------------------------------------------


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """钉钉 加签: base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), sent URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(timestamp_s: int, secret: str) -> str:
    """飞书 签名校验: base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) — the key, not the message."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def generic_sign(timestamp_s: int, body: bytes, secret: str) -> str:
    """Our own generic-webhook signature: hex HMAC-SHA256 over "timestamp." + raw body (replay-resistant)."""
    return hmac.new(secret.encode(), f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """One rendered HTTP POST: exact URL, body bytes and headers (what signatures are computed over)."""

    url: str
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        """The decoded JSON body."""
        return json.loads(self.body)


def _markdown(message: OutboundMessage) -> str:
    return f"### {message.subject}\n{message.body}" if message.subject else message.body


def _truncate_utf8(text: str, max_bytes: int) -> str:
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    return raw[: max_bytes - len("…".encode())].decode(errors="ignore") + "…"


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = "&".join(filter(None, [parts.query, urllib.parse.urlencode(params)]))
    return urllib.parse.urlunsplit(parts._replace(query=query))


def redact_url(url: str) -> str:
    """scheme://host only: webhook paths and queries hold the robot's token, which must not reach logs or the DB."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


class WebhookSender:
    """Posts a message to one chat robot or HTTP endpoint in that robot's documented JSON format."""

    def __init__(self, kind: str, url: str, secret: str | None = None, timeout: float = 5) -> None:
        if kind not in WEBHOOK_KINDS:
            raise ValueError(f"unknown webhook kind {kind!r}; kinds are {', '.join(WEBHOOK_KINDS)}")
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"webhook url must be http(s), got {redact_url(url)}")
        self.kind, self.url, self.secret, self.timeout = kind, url, secret, timeout
        self._client: httpx2.Client | None = None

    @property
    def client(self) -> httpx2.Client:
        """One pooled client per sender: building a client (TLS context, CA bundle) costs more than the POST."""
        if self._client is None:
            self._client = httpx2.Client(timeout=self.timeout)
        return self._client

    def close(self) -> None:
        """Release pooled connections (optional: they also close when the process exits)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def render(self, message: OutboundMessage, *, now: float | None = None) -> WebhookRequest:
        """Build the exact request for this robot kind, signed when a secret is set (`now` fixes the timestamp)."""
        now = time.time() if now is None else now
        url = self.url
        headers = {"Content-Type": "application/json; charset=utf-8"}
        body: dict[str, Any]
        if self.kind == "wecom":
            content = _truncate_utf8(_markdown(message), WECOM_MARKDOWN_MAX_BYTES)
            body = {"msgtype": "markdown", "markdown": {"content": content}}
        elif self.kind == "dingtalk":
            # `title` is what the notification preview shows; the markdown text carries the full message.
            title = message.subject or _first_line(message.body) or "aftersales"
            body = {"msgtype": "markdown", "markdown": {"title": title, "text": _markdown(message)}}
            if self.secret:
                ts_ms = int(now * 1000)
                url = _with_query(url, timestamp=str(ts_ms), sign=dingtalk_sign(ts_ms, self.secret))
        elif self.kind == "feishu":
            if message.subject:
                paragraphs = [[{"tag": "text", "text": line}] for line in message.body.splitlines() or [""]]
                post = {"zh_cn": {"title": message.subject, "content": paragraphs}}
                body = {"msg_type": "post", "content": {"post": post}}
            else:
                body = {"msg_type": "text", "content": {"text": message.body}}
            if self.secret:
                ts_s = int(now)
                body = {"timestamp": str(ts_s), "sign": feishu_sign(ts_s, self.secret), **body}
        elif self.kind == "slack":
            body = {"text": f"*{message.subject}*\n{message.body}" if message.subject else message.body}
        else:
            body = {
                "channel": message.channel,
                "recipient": message.recipient,
                "subject": message.subject,
                "body": message.body,
                "payload": message.payload,
            }
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        if self.kind == "generic" and self.secret:
            ts_s = int(now)
            headers["X-Aftersales-Timestamp"] = str(ts_s)
            headers["X-Aftersales-Signature"] = "sha256=" + generic_sign(ts_s, raw, self.secret)
        return WebhookRequest(url, raw, headers)

    def send(self, message: OutboundMessage) -> None:
        """POST once; non-2xx, transport errors and the robots' in-body error codes raise DeliveryError."""
        request = self.render(message)
        where = f"{self.kind} webhook {redact_url(self.url)}"
        try:
            response = self.client.post(request.url, content=request.body, headers=request.headers)
        except httpx2.HTTPError as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from exc
        text = response.text[:300]
        if not response.is_success:
            raise DeliveryError(f"{where}: HTTP {response.status_code}: {text}")
        if self.kind in ("wecom", "dingtalk", "feishu"):
            self._check_robot_reply(where, text, response)

    def _check_robot_reply(self, where: str, text: str, response: httpx2.Response) -> None:
        """企业微信/钉钉 reply {"errcode": 0, …}; 飞书 {"code": 0, …} (older bots: "StatusCode"); else it failed."""
        try:
            reply = response.json()
        except ValueError as exc:
            raise DeliveryError(f"{where}: reply is not JSON: {text}") from exc
        if not isinstance(reply, dict):
            raise DeliveryError(f"{where}: unexpected reply: {text}")
        if self.kind == "feishu":
            code = reply.get("code", reply.get("StatusCode"))
            detail = reply.get("msg", reply.get("StatusMessage"))
        else:
            code, detail = reply.get("errcode"), reply.get("errmsg")
        if code != 0:
            raise DeliveryError(f"{where}: robot error {code}: {detail}")
