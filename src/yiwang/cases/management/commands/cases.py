"""``yiwang cases webhook-add | webhooks | push | remind``: 审管联动 subscriptions and the periodic work of
cases, for scripts and operators (the worker runs ``push`` and ``remind`` on its own)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.cases.models import WebhookDelivery, WebhookSubscription
from yiwang.cases.tasks import deferred_reminders_send
from yiwang.cases.webhooks import webhook_subscribe, webhooks_run
from yiwang.core.errors import DomainError
from yiwang.regions.models import Department


class Command(BaseCommand):
    help = "办件：webhook-add 登记部门系统事件订阅；webhooks 查看订阅；push 立即推送事件；remind 发送容缺提醒"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="operation", required=True)
        add = sub.add_parser("webhook-add", help="登记事件订阅并打印签名密钥（只显示一次）")
        add.add_argument("--name", required=True)
        add.add_argument("--department-uscc", required=True, help="订阅部门的统一社会信用代码")
        add.add_argument("--url", required=True)
        sub.add_parser("webhooks", help="列出事件订阅及待发送、已放弃的推送数")
        sub.add_parser("push", help="把新事件排队并推送到期的事件（worker 会定时执行）")
        sub.add_parser("remind", help="发送容缺材料补齐提醒（worker 会定时执行）")

    def handle(self, *args: Any, operation: str, **options: Any) -> None:
        try:
            if operation == "webhook-add":
                department = Department.objects.filter(uscc=options["department_uscc"].strip().upper()).first()
                if department is None:
                    raise CommandError("没有该统一社会信用代码的机构")
                subscription, secret = webhook_subscribe(
                    actor=None, name=options["name"], department_id=department.pk, url=options["url"]
                )
                self.stdout.write(f"已登记订阅 #{subscription.pk}（{department.name}）")
                self.stdout.write(f"签名密钥（只显示这一次，请交给接入系统保管）：{secret}")
            elif operation == "webhooks":
                for row in WebhookSubscription.objects.select_related("department"):
                    pending = row.deliveries.filter(state=WebhookDelivery.State.PENDING).count()
                    failed = row.deliveries.filter(state=WebhookDelivery.State.FAILED).count()
                    state = "启用" if row.active else "停用"
                    self.stdout.write(
                        f"#{row.pk} {row.name} {row.department.name} {row.url} {state} 待发送 {pending} 已放弃 {failed}"
                    )
            elif operation == "push":
                queued, delivered = webhooks_run()
                self.stdout.write(f"新入队 {queued} 条，本次送达 {delivered} 条")
            elif operation == "remind":
                self.stdout.write(f"已提醒 {deferred_reminders_send()} 件")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
