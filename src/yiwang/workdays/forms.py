"""Page forms of 工作日历. They only convert HTML inputs; the rules are the services'."""

from __future__ import annotations

from django import forms

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DAY_KIND_CHOICES = [("0", "放假（不上班）"), ("1", "调休上班")]
NAME_SUGGESTIONS = ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节", "调休上班", "停止办公"]


class CalendarYearForm(forms.Form):
    """录入年份: the State Council's notice for a year the built-in calendar does not know."""

    year = forms.IntegerField(label="年份", min_value=2000, max_value=2200)
    notice_title = forms.CharField(
        label="通知标题", max_length=200, help_text="例如：国务院办公厅关于2027年部分节假日安排的通知"
    )
    notice_number = forms.CharField(label="文号", max_length=60, help_text="例如：国办发明电〔2026〕X号")
    published_on = forms.DateField(label="发布日期", widget=DATE_INPUT)


class CalendarOverrideForm(forms.Form):
    """添加调整日: one day, or a block of days (放假 from … to …)."""

    day = forms.DateField(label="日期", widget=DATE_INPUT)
    last_day = forms.DateField(
        label="至（可选）", required=False, widget=DATE_INPUT, help_text="连续多天放假时填写最后一天，最多31天"
    )
    is_workday = forms.TypedChoiceField(
        label="类型", choices=DAY_KIND_CHOICES, coerce=lambda value: value == "1", widget=forms.RadioSelect
    )
    name = forms.CharField(
        label="名称",
        max_length=20,
        help_text="节日名称或“调休上班”",
        widget=forms.TextInput(attrs={"list": "override-names"}),
    )
    note = forms.CharField(label="备注", max_length=200, required=False)
