"""Page forms of the hotline: they check the shape of the input; the services enforce the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef

from yiwang.hotline.choices import (
    ReplyOutcome,
    RevisitMethod,
    Satisfaction,
    TicketType,
    Urgency,
)
from yiwang.hotline.models import Category
from yiwang.regions.choices import RegionLevel
from yiwang.regions.models import Region

EXTENSION_DAYS = [(n, f"{n}个工作日") for n in range(1, 11)]  # services.EXTENSION_MAX_DAYS


def leaf_choices() -> list[tuple[Any, Any]]:
    """The active leaves of the classification tree, grouped by their parent (for a <select>)."""
    children = Category.objects.filter(parent_id=OuterRef("pk"), is_active=True)
    leaves = (
        Category.objects.filter(is_active=True, parent__isnull=False)
        .annotate(has_children=Exists(children))
        .filter(has_children=False)
        .select_related("parent")
        .order_by("parent__position", "position", "code")
    )
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in leaves:
        groups.setdefault(c.parent.name if c.parent else "其他", []).append((str(c.pk), c.name))
    return [("", "请选择（不清楚可不选）"), *groups.items()]


def region_choices() -> list[tuple[str, str]]:
    rows = Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY]).order_by("path")
    return [(r.code, r.name) for r in rows]


def department_choices(queryset: Any, empty: str = "请选择承办单位") -> list[tuple[str, str]]:
    return [("", empty)] + [(str(d.pk), d.name) for d in queryset]


def _set_choices(form: forms.Form, name: str, choices: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - a programming error, not input
    field.choices = choices


class TicketForm(forms.Form):
    """The public form (/hotline/new/) and, with staff fields, the agent's intake."""

    ticket_type = forms.ChoiceField(label="诉求类型", choices=TicketType.choices)
    category_id = forms.TypedChoiceField(label="诉求分类", coerce=int, empty_value=None, required=False)
    title = forms.CharField(label="标题", max_length=100, help_text="一句话概括，例如：某路段路灯不亮")
    content = forms.CharField(
        label="诉求内容",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="请写明时间、地点和具体情况",
    )
    region_code = forms.ChoiceField(label="所在区县")
    address = forms.CharField(label="事发地址", max_length=300, required=False)
    caller_name = forms.CharField(label="姓名", max_length=50, required=False)
    caller_phone = forms.CharField(
        label="联系电话",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    def __init__(self, *args: Any, phone_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "category_id", leaf_choices())
        _set_choices(self, "region_code", region_choices())
        self.fields["caller_name"].widget.attrs["autocomplete"] = "name"
        if phone_required:
            self.fields["caller_phone"].required = True
            self.fields["caller_phone"].help_text = "未登录时必填，用于答复和回访"


class IntakeForm(TicketForm):
    """来电登记 (话务员) or 办不成事 window registration: adds urgency, optional immediate dispatch."""

    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices, initial=Urgency.NORMAL)
    department_id = forms.TypedChoiceField(label="直接派单至（可选）", coerce=int, empty_value=None, required=False)
    confirm_new = forms.BooleanField(label="已核对疑似重复诉求，确认登记为新诉求", required=False)

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, phone_required=True, **kwargs)
        self.fields["caller_phone"].label = "来电号码"
        self.fields["caller_phone"].help_text = ""
        self.fields["caller_name"].label = "诉求人姓名"
        _set_choices(self, "department_id", department_choices(departments or [], empty="暂不派单"))
        self.order_fields(["caller_phone", "caller_name", "ticket_type", "urgency", "category_id", "title", "content"])


class DispatchForm(forms.Form):
    department_id = forms.TypedChoiceField(label="承办单位", coerce=int)
    ticket_type = forms.ChoiceField(label="诉求类型", choices=TicketType.choices)
    urgency = forms.ChoiceField(label="紧急程度", choices=Urgency.choices)
    note = forms.CharField(label="派单说明", max_length=500, required=False)

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "department_id", department_choices(departments or []))


class TransferForm(forms.Form):
    department_id = forms.TypedChoiceField(label="转办至", coerce=int)
    reason = forms.CharField(label="转办理由", max_length=500)

    def __init__(self, *args: Any, departments: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "department_id", department_choices(departments or []))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="退回理由", max_length=500)


class ReplyForm(forms.Form):
    reply = forms.CharField(label="答复内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    outcome = forms.ChoiceField(label="答复结果", choices=ReplyOutcome.choices)


class ExtensionForm(forms.Form):
    days = forms.TypedChoiceField(label="延期工作日", coerce=int, choices=EXTENSION_DAYS)
    reason = forms.CharField(label="延期理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class DecideForm(forms.Form):
    approve = forms.TypedChoiceField(
        label="审批结果", coerce=lambda v: v == "1", choices=[("1", "批准"), ("0", "不予批准")]
    )
    note = forms.CharField(label="审批意见", max_length=1000, required=False)


class SuperviseForm(forms.Form):
    message = forms.CharField(label="督办内容", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class RespondForm(forms.Form):
    response = forms.CharField(label="督办反馈", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(forms.Form):
    note = forms.CharField(label="办结说明", max_length=500, required=False)


class RevisitForm(forms.Form):
    satisfaction = forms.ChoiceField(label="满意度", choices=Satisfaction.choices, widget=forms.RadioSelect)
    solved = forms.TypedChoiceField(
        label="诉求是否已解决",
        coerce=lambda v: v == "1",
        choices=[("1", "已解决"), ("0", "未解决（重新办理）")],
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(
        label="回访方式", choices=[c for c in RevisitMethod.choices if c[0] != RevisitMethod.WEB], required=False
    )
    note = forms.CharField(label="回访记录", max_length=1000, required=False, help_text="未解决时必填")


class RateForm(forms.Form):
    """The citizen's own rating on 我的诉求 (no default choice: nothing is pre-selected)."""

    satisfaction = forms.ChoiceField(
        label="您对办理结果的满意度", choices=Satisfaction.choices, widget=forms.RadioSelect
    )
    solved = forms.TypedChoiceField(
        label="您的诉求解决了吗",
        coerce=lambda v: v == "1",
        choices=[("1", "已解决"), ("0", "没有解决，请重新办理")],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="意见或说明", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RevealForm(forms.Form):
    purpose = forms.CharField(label="查看用途", max_length=200, help_text="例如：电话回访、核实情况（记入审计日志）")


class SpotDrawForm(forms.Form):
    batch = forms.CharField(label="批次名称", max_length=40)
    count = forms.IntegerField(label="抽取数量", min_value=1, max_value=200, initial=5)
    closed_from = forms.DateField(label="办结日期自", widget=forms.DateInput(attrs={"type": "date"}))
    closed_to = forms.DateField(label="办结日期至", widget=forms.DateInput(attrs={"type": "date"}))
    source = forms.ChoiceField(label="范围", choices=[("window", "办不成事窗口"), ("all", "全部渠道")])


class SpotRecordForm(forms.Form):
    satisfaction = forms.ChoiceField(label="满意度", choices=Satisfaction.choices)
    solved = forms.TypedChoiceField(
        label="是否确已解决", coerce=lambda v: v == "1", choices=[("1", "确已解决"), ("0", "未解决（重新办理）")]
    )
    note = forms.CharField(label="回访记录", max_length=1000, required=False)


class DeadlineForm(forms.Form):
    amount = forms.IntegerField(label="时限", min_value=1, max_value=365)
    unit = forms.ChoiceField(label="单位", choices=[("workday", "工作日"), ("hour", "小时")])
