"""Derived lists (派生清单) as tables: the columns the pages show and the CSV / Excel downloads.

One column definition serves the page table and both downloads, so a list reads the same however it
is obtained. Everything is computed from the rows the selector returns (``derived_list``, which
already joins department, region and item): no query per row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from yiwang.catalog.choices import ItemLevel, Necessity, OnlineDepth, TaskType
from yiwang.catalog.models import ItemVersion

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

UNIT_SUFFIX = {"workday": "个工作日", "natural_day": "个自然日", "hour": "小时"}

Cell = str | int


def limit_text(limit: Mapping[str, Any] | None) -> str:
    """``{"value": 5, "unit": "workday"}`` → ``5个工作日``; 0 → ``当场办结``."""
    if not limit:
        return "—"
    value = int(limit.get("value", 0))
    if value == 0:
        return "当场办结"
    unit = str(limit.get("unit") or "workday")
    return f"{value}{UNIT_SUFFIX.get(unit, unit)}"


def deferrable_materials(content: Mapping[str, Any]) -> list[str]:
    """Materials that may be missing at acceptance and handed in later (容缺后补)."""
    return [m.get("name", "") for m in content.get("materials", []) if m.get("necessity") == Necessity.DEFERRABLE]


def exempt_materials(content: Mapping[str, Any]) -> list[str]:
    """Materials the platform fetches itself from the e-licence store or a data share (免提交)."""
    return [
        m.get("name", "")
        for m in content.get("materials", [])
        if m.get("licence_type_code") or m.get("shared_data_code")
    ]


def audience_text(version: ItemVersion) -> str:
    parts = [label for flag, label in ((version.for_persons, "个人"), (version.for_organisations, "法人")) if flag]
    return "、".join(parts) or "—"


def _choice_label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class Column:
    """One column of a derived list: its header and how to read the cell from a version."""

    header: str
    value: Callable[[ItemVersion], Cell]


BASE_COLUMNS: tuple[Column, ...] = (
    Column("事项名称", lambda v: v.name),
    Column("实施编码", lambda v: v.item.code),
    Column("事项类型", lambda v: _choice_label(TaskType, v.task_type)),
    Column("实施主体", lambda v: v.department.name),
    Column("所属区划", lambda v: v.department.region.name),
    Column("行使层级", lambda v: _choice_label(ItemLevel, v.level)),
    Column("服务对象", audience_text),
    Column("法定办结时限", lambda v: limit_text(v.content.get("legal_limit"))),
    Column("承诺办结时限", lambda v: limit_text(v.content.get("promise_limit"))),
    Column("到现场次数", lambda v: v.visits),
    Column("全程网办", lambda v: "是" if v.is_fully_online else "否"),
    Column("版本号", lambda v: v.number),
    Column("生效日期", lambda v: v.effective_from.isoformat()),
)

# Columns that say why an item is on a particular list.
EXTRA_COLUMNS: dict[str, tuple[Column, ...]] = {
    "deferrable": (Column("可容缺后补的材料", lambda v: "；".join(deferrable_materials(v.content))),),
    "licence-free": (Column("免提交的材料", lambda v: "；".join(exempt_materials(v.content)) or "无需证照类材料"),),
    "not-in-hall": (Column("不进驻大厅的理由", lambda v: str(v.content.get("not_in_hall_reason", ""))),),
    "not-fully-online": (
        Column("网上办理深度", lambda v: _choice_label(OnlineDepth, v.content.get("online_depth"))),
        Column("须到现场办理的原因", lambda v: str(v.content.get("visits_explain", "")) or "—"),
    ),
    "commitment": (Column("承诺书内容", lambda v: str(v.content.get("commitment_text", ""))),),
}


def extra_columns(key: str) -> tuple[Column, ...]:
    return EXTRA_COLUMNS.get(key, ())


def list_table(key: str, versions: Iterable[ItemVersion]) -> tuple[list[str], list[list[Cell]]]:
    """Headers and rows of a derived list for download (序号 first)."""
    columns = BASE_COLUMNS + extra_columns(key)
    headers = ["序号", *(c.header for c in columns)]
    rows = [[index, *(c.value(v) for c in columns)] for index, v in enumerate(versions, start=1)]
    return headers, rows


def _defused(value: Cell) -> Cell:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_response(*, filename: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> HttpResponse:
    """CSV in UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_defused(cell) for cell in row])
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def xlsx_response(
    *, filename: str, sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> HttpResponse:
    """An .xlsx workbook with one sheet: bold header row, frozen under the header, text cells as text."""
    # Imported here so that the pages and the CSV downloads keep working where openpyxl is missing.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.freeze_panes = "A2"
    widths = [max(6, min(60, len(h) * 2 + 2)) for h in headers]
    body: list[list[Any]] = []
    for row in rows:
        cells: list[Any] = []
        for index, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
                if index < len(widths):
                    widths[index] = max(widths[index], min(60, len(value) * 2 + 2))
            cells.append(cell)
        body.append(cells)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for cells in body:
        sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    response = HttpResponse(output.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
