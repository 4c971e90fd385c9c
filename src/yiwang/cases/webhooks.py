"""审管联动 push: case events delivered to department systems as signed webhooks, retried with backoff.

The outbox is the ``CaseEvent`` table itself: ``webhooks_enqueue`` reads the events after each
subscription's cursor (the events of cases its department implements or handles a step of) and makes a
``WebhookDelivery`` row per event, moving the cursor in the same transaction; ``webhooks_deliver`` POSTs
the due rows. An event is therefore never lost (it is queued from committed rows) and may be delivered
more than once (a crash after the POST and before the row is marked) — receivers de-duplicate on
``X-Yiwang-Event-Id``.

Signature: ``X-Yiwang-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`` with the
Unix time in ``X-Yiwang-Timestamp``; receivers reject stale timestamps to stop replays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from yiwang.accounts.permissions import Action, user_can
from yiwang.audit.services import record
from yiwang.cases.models import CaseEvent, CaseStep, WebhookDelivery, WebhookSubscription
from yiwang.core import clock, crypto
from yiwang.core.errors import DomainError, ErrorCode, permission_denied
from yiwang.regions.models import Department

logger = logging.getLogger(__name__)

SECRET_CONTEXT = "cases.WebhookSubscription.secret"  # noqa: S105 — an encryption context label, not a secret
MAX_ATTEMPTS = 10
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=6)
TIMEOUT_SECONDS = 5
BATCH = 200


def backoff(attempts: int) -> dt.timedelta:
    """Wait before try ``attempts + 1``: 30 s, 1 min, 2 min … doubling, at most 6 h."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@transaction.atomic
def webhook_subscribe(*, actor: Any, name: str, department_id: int, url: str) -> tuple[WebhookSubscription, str]:
    """登记事件订阅 (platform admin). Returns the subscription and its secret, shown once. Events from now
    on are delivered (the cursor starts at the newest event)."""
    if actor is not None and not user_can(actor, Action.OIDC_CLIENT_MANAGE):  # None: the platform's own command
        raise permission_denied("只有政务服务管理机构可以登记部门系统的事件订阅")
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise DomainError(ErrorCode.VALIDATION, "请填写接入系统名称（不超过100字）", field="name")
    url = (url or "").strip()
    if not (url.startswith("https://") or url.startswith("http://")) or len(url) > 500:
        raise DomainError(ErrorCode.VALIDATION, "接收地址应为 http:// 或 https:// 开头的网址", field="url")
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise DomainError(ErrorCode.VALIDATION, "订阅部门不存在", field="department_id")
    secret = secrets.token_urlsafe(32)
    last = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    subscription = WebhookSubscription.objects.create(
        name=name,
        department=department,
        url=url,
        secret_cipher=crypto.encrypt(secret, context=SECRET_CONTEXT),
        cursor=last,
        created_at=clock.now(),
        created_by=actor,
    )
    record(actor=actor, action="webhook.subscribe", target=subscription, changes={"url": url})
    return subscription, secret


def _events_for(subscription: WebhookSubscription) -> Q:
    department_id = subscription.department_id
    steps = CaseStep.objects.filter(case_id=OuterRef("case_id"), department_id=department_id)
    return Q(case__department_id=department_id) | Q(Exists(steps))


def webhooks_enqueue() -> int:
    """Queue deliveries for new events of every active subscription; returns how many were queued."""
    queued = 0
    now = clock.now()
    for subscription_id in WebhookSubscription.objects.filter(active=True).values_list("pk", flat=True):
        with transaction.atomic():
            subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription_id)
            events = list(
                CaseEvent.objects.filter(_events_for(subscription), pk__gt=subscription.cursor)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            newest = (
                CaseEvent.objects.filter(pk__gt=subscription.cursor)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            if events:
                WebhookDelivery.objects.bulk_create(
                    [WebhookDelivery(subscription=subscription, event_id=e, next_attempt_at=now) for e in events],
                    ignore_conflicts=True,
                )
                queued += len(events)
                subscription.cursor = events[-1] if len(events) == BATCH else max(events[-1], newest or 0)
            elif newest:
                subscription.cursor = newest
            subscription.save(update_fields=["cursor"])
    return queued


def event_payload(event: CaseEvent) -> dict[str, Any]:
    """The JSON of one event, as the feed and the webhooks send it (no personal data)."""
    return {
        "id": event.pk,
        "case_id": event.case_id,
        "case_number": event.case.number,
        "item_code": event.case.item.code,
        "department_uscc": event.case.department.uscc,
        "seq": event.seq,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "at": event.at.isoformat(),
        "data": event.data,
    }


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 — admin-set URL
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def webhooks_deliver(*, limit: int = 100) -> int:
    """POST the deliveries that are due; returns how many were delivered (2xx)."""
    now = clock.now()
    due = list(
        WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now)
        .select_related("subscription", "event", "event__case", "event__case__item", "event__case__department")
        .order_by("next_attempt_at", "pk")[:limit]
    )
    delivered = 0
    for delivery in due:
        subscription = delivery.subscription
        body = json.dumps(event_payload(delivery.event), ensure_ascii=False).encode()
        timestamp = int(now.timestamp())
        secret = crypto.decrypt(subscription.secret_cipher, context=SECRET_CONTEXT)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Yiwang-Webhook/1",
            "X-Yiwang-Event-Id": str(delivery.event_id),
            "X-Yiwang-Timestamp": str(timestamp),
            "X-Yiwang-Signature": sign(secret, timestamp, body),
        }
        status: int | None = None
        error = ""
        try:
            status = _post(subscription.url, body, headers)
        except (OSError, ValueError) as exc:  # refused, timed out, bad URL
            error = str(exc)[:300]
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error
        if status is not None and 200 <= status < 300:
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = clock.now()
            delivered += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = WebhookDelivery.State.FAILED
            logger.warning(
                "事件 %s 推送至 %s 失败 %s 次，已放弃", delivery.event_id, subscription.name, delivery.attempts
            )
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save(
            update_fields=["attempts", "last_status", "last_error", "state", "delivered_at", "next_attempt_at"]
        )
    return delivered


def webhooks_run() -> tuple[int, int]:
    """One tick of the worker: queue new events, then deliver what is due."""
    return webhooks_enqueue(), webhooks_deliver()
