"""``yiwang worker``: run background tasks (django-tasks database backend), seal the audit log and push
case events to department systems (``cases.webhooks``) on every scheduler tick.

A small scheduler thread enqueues ``audit_seal_task`` every ``YIWANG_AUDIT_SEAL_INTERVAL`` seconds when
there are unsealed audit rows and no seal is already queued; the worker loop runs it like any task.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

logger = logging.getLogger("yiwang.worker")


def enqueue_seal_if_needed() -> bool:
    """Queue one audit seal when rows wait to be sealed and none is queued or running yet."""
    from django_tasks_db.models import DBTaskResult

    from yiwang.audit.models import AuditEvent
    from yiwang.audit.tasks import audit_seal_task

    if not AuditEvent.objects.filter(seq__isnull=True).exists():
        return False
    pending = DBTaskResult.objects.filter(
        task_path=audit_seal_task.module_path, status__in=["READY", "RUNNING"]
    ).exists()
    if pending:
        return False
    audit_seal_task.enqueue()
    return True


def _schedule(stop: threading.Event, interval: float) -> None:
    from yiwang.cases.tasks import deferred_reminders_send
    from yiwang.cases.webhooks import webhooks_run
    from yiwang.evaluations.tasks import evaluations_tick
    from yiwang.hotline.tasks import hotline_tick

    while not stop.wait(interval):
        try:
            enqueue_seal_if_needed()
        except Exception:  # keep the scheduler alive; the next tick retries
            logger.exception("could not schedule the audit seal")
        try:
            webhooks_run()  # 审管联动: queue new case events, deliver the due webhooks
        except Exception:
            logger.exception("could not deliver case webhooks")
        try:
            evaluations_tick()  # 好差评: rateable services the signal missed; 差评整改超期督办
        except Exception:
            logger.exception("could not run the 好差评 tick")
        try:
            deferred_reminders_send()  # 容缺提醒: at most once a day per case
        except Exception:
            logger.exception("could not send the 容缺 reminders")
        try:
            hotline_tick()  # 12345: 到期督办 of overdue tickets (once per ticket and due time)
        except Exception:
            logger.exception("could not supervise overdue hotline tickets")
        finally:
            close_old_connections()


class Command(BaseCommand):
    help = "启动后台任务进程（含审计日志定时封存）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="无任务时的轮询间隔（秒）")
        parser.add_argument("--batch", action="store_true", help="处理完现有任务后退出")

    def handle(self, *args: Any, interval: float, batch: bool, **options: Any) -> None:
        stop = threading.Event()
        if batch:
            enqueue_seal_if_needed()
        else:
            threading.Thread(
                target=_schedule, args=(stop, settings.YIWANG_AUDIT_SEAL_INTERVAL), daemon=True, name="seal"
            ).start()
        self.stdout.write("一网 Yiwang 后台任务进程已启动")
        try:
            # No autoreload: a reloader parent would run a second scheduler beside the child.
            call_command("db_worker", interval=interval, batch=batch, no_startup_delay=True, reload=False)
        finally:
            stop.set()
