"""``yiwang calendar show YEAR`` / ``range``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_show_prints_the_months_with_the_named_days(db):
    out = StringIO()
    call_command("calendar", "show", "2026", stdout=out)
    text = out.getvalue()
    assert text.startswith("2026年工作日历（内置日历（chinesecalendar）；")
    assert "14日调休上班，15日春节" in text
    assert "14班*" in text and "16休*" in text


def test_range_and_an_uncovered_year(db):
    out = StringIO()
    call_command("calendar", "range", stdout=out)
    assert out.getvalue().strip() == "工作日历覆盖 2004-01-01 至 2026-12-31"
    with pytest.raises(CommandError, match="工作日历尚未包含2027年"):
        call_command("calendar", "show", "2027")
