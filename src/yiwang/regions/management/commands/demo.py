"""``yiwang demo load`` / ``yiwang demo accounts``: the demo region (临沂市), its demo catalog and its demo log-ins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yiwang.catalog.demo import catalog_demo_load
from yiwang.regions.demo import demo_accounts, demo_load

LEVEL_LABELS = {3: "市级", 4: "县级", 5: "镇（街道）级"}


class Command(BaseCommand):
    help = "加载演示数据（临沂市及其政务服务事项）；所有人员均为虚构"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("operation", choices=["load", "accounts"])

    def handle(self, *args: Any, operation: str, **options: Any) -> None:
        if operation == "load":
            summary = demo_load()
            self.stdout.write(
                f"演示数据：区划 {summary.regions} 个，机构 {summary.departments} 个，场所 {summary.venues} 个，"
                f"窗口 {summary.windows} 个，工作人员 {summary.staff} 人，群众账号 {summary.citizens} 个"
            )
            catalog = catalog_demo_load()
            levels = "、".join(LEVEL_LABELS.get(level, str(level)) for level in catalog.levels)
            self.stdout.write(f"事项：已发布 {catalog.published} 项（{catalog.departments} 个部门，层级 {levels}）")
            # The calendar before cases: a demo loaded near the calendar's end still accepts long limits.
            from yiwang.workdays.demo import calendar_demo_load

            days = calendar_demo_load()
            if days.entered:
                years = "、".join(f"{year}年" for year in days.entered)
                self.stdout.write(
                    f"工作日历：覆盖至{days.last_day:%Y-%m-%d}；{years}为演示录入（按周一至周五计算，未含节假日），"
                    "正式使用前请按国务院办公厅节假日安排通知录入"
                )
            # Seals before cases: a demo case approved on load gets its licence.
            from yiwang.licenses.demo import licenses_demo_load

            licences = licenses_demo_load()
            self.stdout.write(f"电子证照：证照类型 {licences.types} 种，新制发电子印章 {licences.seals} 枚")
            from yiwang.cases.demo import cases_demo_load

            cases = cases_demo_load()
            states = "，".join(f"{label} {n}" for label, n in cases.by_state.items() if n)
            self.stdout.write(f"办件：{cases.cases} 件（{states}）")
            from yiwang.licenses.demo import licenses_demo_issue
            from yiwang.licenses.models import License

            licenses_demo_issue()
            self.stdout.write(
                f"电子证照：演示证照 {License.objects.count()} 张（张三的居民户口簿、其企业的营业执照等）"
            )
            from yiwang.evaluations.demo import evaluations_demo_load

            ev = evaluations_demo_load()
            self.stdout.write(
                f"好差评：服务 {ev.events} 项，评价 {ev.evaluations} 条（差评 {ev.bad}，整改中 {ev.open_orders}）"
                + (
                    f"；A01 评价平板配对码 {ev.pairing_code}（30 分钟内在 /evaluations/tablet/pair/ 输入）"
                    if ev.pairing_code
                    else ""
                )
            )
            from yiwang.hotline.demo import hotline_demo_load

            tickets = hotline_demo_load()
            ticket_states = "，".join(f"{label} {n}" for label, n in tickets.by_state.items() if n)
            self.stdout.write(f"12345工单：{tickets.tickets} 件（{ticket_states}）")
        self.stdout.write("演示账号（均为虚构人员）：")
        for username, what, password in demo_accounts():
            self.stdout.write(f"  {username:<12} {password:<20} {what}")
        self._second_factor_hint()

    def _second_factor_hint(self) -> None:
        from yiwang.accounts.permissions import SECOND_FACTOR_ROLES
        from yiwang.regions.demo import demo_totp_code
        from yiwang.regions.demo_data import DEMO_TOTP_SECRET, STAFF

        needing = "、".join(staff.username for staff in STAFF if staff.role in SECOND_FACTOR_ROLES)
        code, seconds = demo_totp_code()
        self.stdout.write(
            f"双重验证（{needing}）：在验证器应用中手动添加密钥 {DEMO_TOTP_SECRET}（基于时间，6位，30秒）"
        )
        self.stdout.write(f"  当前动态码 {code}（还有 {seconds} 秒有效；再次运行 yiwang demo accounts 可查看新的）")
