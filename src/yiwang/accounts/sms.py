"""Sending text messages (短信), through a pluggable backend named by ``settings.YIWANG_SMS_BACKEND``.

A backend is a class with ``send(message: SmsMessage) -> None``; a real one calls the operator's SMS
gateway with the template and its parameters. The default, :class:`LogBackend`, sends nothing: it writes
the message to the log with every secret parameter (the 验证码) masked, and keeps the full message for the
developer inbox (``/dev/sms/``, only with ``DEBUG``) and for tests. It is for development and tests only;
a production deployment sets ``YIWANG_SMS_BACKEND`` to its gateway's backend.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from yiwang.core.masking import mask_phone

logger = logging.getLogger("yiwang.sms")

MASK = "******"
OUTBOX_SIZE = 100
DEV_INBOX_FILE = "dev-sms.jsonl"


@dataclass(frozen=True)
class SmsMessage:
    """One message: a template with named parameters (as SMS gateways take them). Parameters named in
    ``secret`` (the code) are masked in ``redacted``, which is all that may reach a log."""

    phone: str
    template: str
    params: Mapping[str, str] = field(default_factory=dict)
    secret: frozenset[str] = frozenset({"code"})

    @property
    def text(self) -> str:
        return self.template.format(**self.params)

    @property
    def redacted(self) -> str:
        return self.template.format(**{k: MASK if k in self.secret else v for k, v in self.params.items()})


class SmsBackend(Protocol):
    def send(self, message: SmsMessage) -> None: ...


@dataclass(frozen=True)
class SentMessage:
    """What the developer inbox shows: the masked phone, the full text, the time."""

    phone_masked: str
    text: str
    sent_at: dt.datetime


_outbox: deque[SentMessage] = deque(maxlen=OUTBOX_SIZE)
_lock = threading.Lock()


class LogBackend:
    """Development backend: log the message (secrets masked) and keep it for the developer inbox."""

    def send(self, message: SmsMessage) -> None:
        sent = SentMessage(phone_masked=mask_phone(message.phone), text=message.text, sent_at=timezone.now())
        logger.info("短信（开发模式，未实际发送）至 %s：%s", sent.phone_masked, message.redacted)
        with _lock:
            _outbox.append(sent)
            if settings.DEBUG:
                # The web server may run several worker processes; a file lets the inbox page see them all.
                path = Path(settings.VAR_DIR) / DEV_INBOX_FILE
                path.parent.mkdir(parents=True, exist_ok=True)
                line = {"phone_masked": sent.phone_masked, "text": sent.text, "sent_at": sent.sent_at.isoformat()}
                with path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(line, ensure_ascii=False) + "\n")


@cache
def _backend_class(path: str) -> type[SmsBackend]:
    return import_string(path)


def get_backend() -> SmsBackend:
    """The configured backend; a wrong dotted path fails loudly on the first message."""
    return _backend_class(settings.YIWANG_SMS_BACKEND)()


def outbox() -> list[SentMessage]:
    """Messages the :class:`LogBackend` of this process has sent, newest first (tests read codes here)."""
    with _lock:
        return list(reversed(_outbox))


def dev_inbox(limit: int = 50) -> list[SentMessage]:
    """Messages for the developer inbox page, newest first: every process's, from the DEBUG file."""
    path = Path(settings.VAR_DIR) / DEV_INBOX_FILE
    if not path.exists():
        return outbox()[:limit]
    rows: list[SentMessage] = []
    for line in path.read_text(encoding="utf-8").splitlines()[-limit:]:
        data = json.loads(line)
        rows.append(SentMessage(data["phone_masked"], data["text"], dt.datetime.fromisoformat(data["sent_at"])))
    return list(reversed(rows))
