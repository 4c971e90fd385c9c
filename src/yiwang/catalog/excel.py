"""Bulk import and export of 实施清单 items as an Excel workbook (.xlsx, openpyxl).

Layout — one sheet per list, one row per list entry; the order of the rows is the order of the list:

* 事项: one row per item: its identity (基本编码, 事项类型, 行使层级, 实施主体统一社会信用代码, 业务办理项序号)
  and every scalar element of :class:`~yiwang.catalog.schema.ItemContent`; multi-valued elements are
  codes separated by “、”; 是/否 for booleans; codes (not labels) for code lists, labels also accepted.
* 材料, 收费, 环节, 结果, 特别程序, 表单字段: the list elements. ``special_procedures`` has its own sheet too
  (the brief did not list it, but without it an export would not re-import to the same content). In
  表单字段 the 字段标识 of a sub-field of a 字段组 is written ``group.key``.
* 秒批规则: one row per *condition*, with its rule's 规则名称, 决定结果 and 决定理由. The rows of an item with
  the same 规则名称 form one rule (rule names are unique within an item, a publishing rule); rules and
  conditions keep the order of the rows. A later row of a rule may leave 决定结果/决定理由 blank; filled in,
  they must repeat the first row's. The 比较值 cell holds one value, or for 属于/不属于 several separated
  by “、” (one per line when a value contains “、”); it is read as the fact's kind says — a number for
  ``applicant.age`` or a 数字 field, ``YYYY-MM-DD`` text for a 日期 field, text otherwise (so a region code
  stays text) — which makes an export re-import to the same values.
* 说明: every column and every code value (from ``choices.py``); ignored on import.

**Key of the child sheets:** the single column 事项编码 = ``ServiceItem.code``, i.e. the 实施编码
(实施主体统一社会信用代码 18 + 行使层级代码 1 + 基本编码 12) followed by the 2-digit 业务办理项序号 when the
row is a 业务办理项. On 事项 the column is optional: left blank it is derived, filled in it must match.
One column, the identity the rest of the platform already uses (guides, the API, exports), rather than a
four-column composite key repeated on every child row.

**Catalog entries:** an unknown 基本编码 creates a 基本目录 entry (name = 事项名称, type = 事项类型, basis =
设定依据, levels = the 行使层级 the file uses with it) — only when the importer may maintain the catalog
(政务服务管理机构, ``Action.CATALOG_REVIEW``); for a department admin it is an error on that row.

**Import:** :func:`workbook_import` checks every row first (sheet shape, codes, ``rules.check_content``,
departments, 基本编码, duplicates, permissions) and writes nothing unless every row passes; it then runs
the catalog services in one transaction: ``item_create`` for new items, ``draft_update`` for existing ones
whose draft differs (an unchanged draft keeps its revision). It never publishes: publishing stays a
reviewed 变更申请. Errors are (表, 行, 列, 问题) rows, :class:`RowError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from django.db import models, transaction
from django.db.models import QuerySet
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel

from yiwang.accounts.permissions import Action, user_can
from yiwang.audit.services import record
from yiwang.catalog.choices import (
    CaseKind,
    CrossScope,
    FormFieldType,
    HandleForm,
    ImplementerNature,
    ItemLevel,
    ItemState,
    MaterialForm,
    MaterialSource,
    MaterialType,
    Necessity,
    OnlineDepth,
    PowerSource,
    ResultType,
    ServiceObject,
    SpecialProcedureType,
    TaskType,
    Theme,
    TimeUnit,
)
from yiwang.catalog.models import CatalogEntry, ItemDraft, ItemVersion, ServiceItem
from yiwang.catalog.rules import check_content, parse_content
from yiwang.catalog.schema import (
    AutoOperatorCode,
    AutoOutcomeCode,
    AutoRule,
    Fee,
    FormField,
    ItemContent,
    Material,
    Result,
    SpecialProcedure,
    Step,
    content_dump,
    fact_kind,
)
from yiwang.catalog.services import catalog_entry_create, draft_update, item_create, known_usccs
from yiwang.core.errors import DomainError, ErrorCode, FieldError, not_found
from yiwang.regions.models import Department

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB, checked by the page and the task
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024  # a 10 MB .xlsx that inflates beyond this is a zip bomb
MAX_ROWS_PER_SHEET = 200_000
SEPARATOR = "、"
_SPLIT = re.compile(r"[、,，;；\s]+")
CATALOG_CODE = re.compile(r"^[0-9A-Z]{12}$")
HANDLE_ITEM = re.compile(r"^[0-9]{2}$")
MISSING: Any = object()  # a blank cell: the element is left out and the schema's default applies

SHEET_ITEMS = "事项"
SHEET_MATERIALS = "材料"
SHEET_FEES = "收费"
SHEET_STEPS = "环节"
SHEET_RESULTS = "结果"
SHEET_SPECIAL = "特别程序"
SHEET_FORM = "表单字段"
SHEET_AUTO_RULES = "秒批规则"
SHEET_HELP = "说明"
KEY_HEADER = "事项编码"
WHOLE_ROW = "（整行）"


# --- layout -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: its header, the dotted path of the element inside the row's object (``@…`` for the
    identity columns of 事项), how a cell converts (text, int, bool, code, codes, usccs, options,
    field_key, auto_value), the code list, and a note for the 说明 sheet."""

    header: str
    path: str
    kind: str = "text"
    choices: type[models.Choices] | None = None
    note: str = ""
    width: int = 16
    required: bool | None = None  # None: derived from the pydantic model


@dataclass(frozen=True)
class Sheet:
    """One sheet: ``element`` is the content list it holds (``""`` for 事项), ``model`` its row model."""

    name: str
    element: str
    model: type[BaseModel]
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def _limit_columns(prefix: str, label: str) -> tuple[Column, ...]:
    return (
        Column(label, f"{prefix}.value", "int", width=10),
        Column(f"{label}单位", f"{prefix}.unit", "code", TimeUnit, width=12),
        Column(f"{label}说明", f"{prefix}.explain", width=20),
    )


_KEY = Column(KEY_HEADER, "@code", note="关联“事项”表的事项编码（实施编码或业务办理项编码）", width=36, required=True)

ITEM_SHEET = Sheet(
    SHEET_ITEMS,
    "",
    ItemContent,
    (
        Column(
            KEY_HEADER,
            "@code",
            note="选填。留空时由统一社会信用代码 + 行使层级 + 基本编码 (+ 业务办理项序号) 生成；填写时须与之一致",
            width=36,
            required=False,
        ),
        Column("基本编码", "@entry", note="12位数字或大写字母；第3–4位为事项类型代码", width=16, required=True),
        Column("事项名称", "name", width=28, note="新增基本目录时也作为目录名称"),
        Column("事项类型", "@task_type", "code", TaskType, required=True, width=10),
        Column("设定依据", "legal_basis", width=40),
        Column("行使层级", "@level", "code", ItemLevel, required=True, width=10),
        Column("实施主体统一社会信用代码", "@uscc", note="18位，须是平台上的机构", width=22, required=True),
        Column("实施主体名称", "@department_name", note="仅供阅读，导入时忽略", width=24, required=False),
        Column("业务办理项序号", "@handle", note="2位数字；不是业务办理项时留空", width=10, required=False),
        Column("业务办理项名称", "handle_item_name", width=20),
        Column("一句话说明", "summary", width=30),
        Column("权力来源", "power_source", "code", PowerSource, width=10),
        Column("实施主体性质", "implementer_nature", "code", ImplementerNature, width=10),
        Column("委托部门", "entrusted_department", note="委托部门的统一社会信用代码", width=22),
        Column("联办机构", "joint_departments", "usccs", note="联办机构的统一社会信用代码", width=22),
        *_limit_columns("legal_limit", "法定办结时限"),
        *_limit_columns("promise_limit", "承诺办结时限"),
        Column(
            "预警天数",
            "warning_days",
            "int",
            note="黄灯预警：剩余工作日不超过此数时亮黄灯；应小于承诺办结时限（即办件不限）",
            width=8,
        ),
        Column("受理条件", "accept_conditions", width=40),
        Column("办理流程", "process_description", width=40),
        Column("服务对象", "service_objects", "codes", ServiceObject, width=12),
        Column("办件类型", "case_kind", "code", CaseKind, width=10),
        Column("办理形式", "handle_forms", "codes", HandleForm, width=12),
        Column("到办事现场次数", "visits", "int", width=10),
        Column("必须现场办理原因说明", "visits_explain", width=24),
        Column("是否网办", "is_online", "bool", width=8),
        Column("网上办理深度", "online_depth", "code", OnlineDepth, width=10),
        Column("在线办理地址", "online_url", width=30),
        Column("是否进驻政务大厅", "in_hall", "bool", width=8),
        Column("不进驻大厅理由", "not_in_hall_reason", width=24),
        Column("通办范围", "cross_scope", "code", CrossScope, width=10),
        Column("是否支持预约办理", "appointment", "bool", width=8),
        Column("是否支持结果快递送达", "express", "bool", width=8),
        Column("是否支持邮寄申请材料", "mail_materials", "bool", width=8),
        Column("是否有中介服务", "intermediary", "bool", width=8),
        Column("办理地点", "transact_address", width=30),
        Column("办理时间", "transact_time", width=24),
        Column("咨询方式", "contacts.consult", width=20),
        Column("监督投诉方式", "contacts.complaint", width=20),
        Column("行政复议机关", "remedies.reconsideration", width=20),
        Column("行政诉讼机关", "remedies.litigation", width=20),
        Column("是否收费", "is_fee", "bool", note="收费时须在“收费”表列出收费项目", width=8),
        Column("是否告知承诺", "commitment", "bool", width=8),
        Column("承诺书内容", "commitment_text", width=30),
        Column("是否秒批", "auto_approval", "bool", width=8),
        Column("是否高频事项", "high_frequency", "bool", width=8),
        Column("主题分类", "themes", "codes", Theme, width=16),
    ),
)

CHILD_SHEETS: tuple[Sheet, ...] = (
    Sheet(
        SHEET_MATERIALS,
        "materials",
        Material,
        (
            _KEY,
            Column("材料编码", "code", note="材料库中的编码：字母、数字、_ . -；同一事项内不能重复", width=18),
            Column("材料名称", "name", width=24),
            Column("材料类型", "material_type", "code", MaterialType, width=10),
            Column("材料形式", "form", "code", MaterialForm, width=10),
            Column("材料必要性", "necessity", "code", Necessity, width=10),
            Column("来源渠道", "source", "code", MaterialSource, width=10),
            Column("来源渠道说明", "source_explain", width=20),
            Column("出具机构", "issuing_body", width=20),
            Column("原件份数", "originals", "int", width=8),
            Column("复印件份数", "copies", "int", width=8),
            Column("纸质材料规格", "paper_spec", width=12),
            Column("填报须知", "fill_explain", width=24),
            Column("受理标准", "accept_standard", width=24),
            Column("要求提供材料的依据", "basis", width=24),
            Column("非必要时办理情形", "optional_when", width=20),
            Column("是否需要本人到现场填写", "self_present", "bool", width=8),
            Column("空白表格", "blank_form", width=20),
            Column("示例样表", "sample", width=20),
            Column("证照类型代码", "licence_type_code", note="定义机构统一社会信用代码 + 3位序号，共21位", width=24),
            Column("共享数据项", "shared_data_code", width=16),
        ),
    ),
    Sheet(
        SHEET_FEES,
        "fees",
        Fee,
        (
            _KEY,
            Column("收费项目名称", "name", width=24),
            Column("收费标准", "standard", width=24),
            Column("收费依据", "basis", width=30),
            Column("是否允许减免", "reducible", "bool", width=8),
            Column("减免依据", "reduction_basis", width=30),
        ),
    ),
    Sheet(
        SHEET_STEPS,
        "steps",
        Step,
        (
            _KEY,
            Column("环节名称", "name", width=14),
            Column("办理处室", "unit", width=20),
            *_limit_columns("limit", "办理时限"),
            Column("有无特别程序", "is_special", "bool", width=8),
            Column("特别程序说明", "special_explain", width=24),
            Column(
                "办理机构",
                "department",
                note="联办机构的统一社会信用代码（须列在“联办机构”中）；留空由实施主体办理",
                width=22,
            ),
            Column("并联办理", "parallel", "bool", note="与上一环节同时办理；第一个环节不能并联", width=8),
        ),
    ),
    Sheet(
        SHEET_RESULTS,
        "results",
        Result,
        (
            _KEY,
            Column("结果类型", "type", "code", ResultType, width=10),
            Column("结果名称", "name", width=24),
            Column("结果样本", "sample", width=24),
            Column("证照类型代码", "licence_type_code", note="颁发电子证照时填写，21位", width=24),
        ),
    ),
    Sheet(
        SHEET_SPECIAL,
        "special_procedures",
        SpecialProcedure,
        (
            _KEY,
            Column("特别程序种类", "type", "code", SpecialProcedureType, width=10),
            Column("特别程序名称", "name", width=20),
            *_limit_columns("limit", "时限"),
            Column("是否暂停计时", "pauses_clock", "bool", width=8),
            Column("设定依据", "basis", width=30),
        ),
    ),
    Sheet(
        SHEET_FORM,
        "form",
        FormField,
        (
            _KEY,
            Column(
                "字段标识",
                "key",
                "field_key",
                note="小写字母开头，字母数字下划线；字段组的子字段写作“组标识.字段标识”，并列在字段组之后",
                width=20,
            ),
            Column("字段名称", "label", width=20),
            Column("字段类型", "type", "code", FormFieldType, width=12),
            Column("是否必填", "required", "bool", width=8),
            Column("填写说明", "help", width=24),
            Column(
                "可选项", "options", "options", note="选择字段的可选项，用“、”分隔（选项含“、”时每行一项）", width=24
            ),
            Column("最大长度", "max_length", "int", width=8),
            Column("最少项数", "min_items", "int", note="字段组", width=8),
            Column("最多项数", "max_items", "int", note="字段组", width=8),
        ),
    ),
    Sheet(
        SHEET_AUTO_RULES,
        "auto_rules",
        AutoRule,
        (
            _KEY,
            Column(
                "规则名称",
                "name",
                note="同一事项中规则名称相同的行是同一条规则的各个条件；规则按首次出现的先后依次判断",
                width=20,
            ),
            Column(
                "决定结果",
                "outcome",
                "code",
                AutoOutcomeCode,
                note="全部条件成立时的决定；同一规则的后续行可留空",
                width=10,
            ),
            Column("决定理由", "reason", note="同一规则的后续行可留空", width=30),
            Column(
                "依据事实",
                "conditions.fact",
                note="form.字段标识（申请表的顶层字段）、applicant.age（申请人年龄）、applicant.kind（申请人类型："
                "person 自然人 / enterprise 法人）、applicant.region（申请人所在地区划代码）、enterprise.uscc"
                "（企业统一社会信用代码）、licence.证照类型代码.valid（持有有效电子证照）",
                width=22,
                required=True,
            ),
            Column("比较方式", "conditions.op", "code", AutoOperatorCode, width=12, required=True),
            Column(
                "比较值",
                "conditions.value",
                "auto_value",
                note="一个值（数字、文本或 YYYY-MM-DD 日期）；属于/不属于填多个，用“、”分隔；为是/为否/有值留空",
                width=24,
            ),
            Column("条件说明", "conditions.label", note="写给办事人看的条件，如“年满18周岁”", width=24, required=True),
        ),
    ),
)

SHEETS: tuple[Sheet, ...] = (ITEM_SHEET, *CHILD_SHEETS)
_SHEET_BY_ELEMENT = {s.element: s for s in CHILD_SHEETS}
_SHEET_BY_NAME = {s.name: s for s in SHEETS}
_ITEM_COLUMNS = {c.header: c for c in ITEM_SHEET.columns}
# Excel must not turn 01 into 1 (nor a region code typed as a 比较值 into a number)
_TEXT_FORMAT_KINDS = {"text", "code", "codes", "usccs", "options", "field_key", "auto_value"}


# --- errors and results -------------------------------------------------------------------------------


class RowError(NamedTuple):
    """One problem: 表, 行 (Excel row number; 0 = the file itself), 列 (header), 问题 (in Chinese)."""

    sheet: str
    row: int
    column: str
    message: str

    @property
    def field(self) -> str:
        return f"{self.sheet}!{self.row}!{self.column}"


def row_errors(exc: DomainError) -> list[RowError]:
    """The (表, 行, 列, 问题) rows of an import refusal (``FieldError.field`` is ``sheet!row!column``)."""
    out: list[RowError] = []
    for error in exc.errors:
        parts = error.field.split("!", 2)
        if len(parts) == 3 and parts[1].isdigit():
            out.append(RowError(parts[0], int(parts[1]), parts[2], error.message))
        else:
            out.append(RowError("", 0, error.field, error.message))
    return out


def _refusal(errors: list[RowError], codes: dict[RowError, str] | None = None) -> DomainError:
    ordered = sorted(set(errors), key=lambda e: (_sheet_order(e.sheet), e.row, e.column, e.message))
    first = ordered[0]
    where = f"“{first.sheet}”表第{first.row}行" if first.row else "文件"
    return DomainError(
        ErrorCode.VALIDATION,
        f"工作簿有 {len(ordered)} 处错误，未导入任何内容。第一处：{where} {first.column} — {first.message}",
        errors=[
            FieldError(field=e.field, message=e.message, code=(codes or {}).get(e, ErrorCode.VALIDATION.value))
            for e in ordered
        ],
    )


def _sheet_order(name: str) -> int:
    names = [s.name for s in SHEETS]
    return names.index(name) if name in names else -1


@dataclass
class ParsedItem:
    """One 事项 row with its child rows, as read from the file, and what the database says about it."""

    row: int
    code: str = ""  # 事项编码 (derived, or as written when it cannot be derived)
    entry_code: str = ""
    task_type: str = ""
    level: int | None = None
    uscc: str = ""
    handle_item: str = ""
    raw: dict[str, Any] = field(default_factory=dict)  # the content as read
    content: dict[str, Any] | None = None  # canonical content, when every check passed
    rows: dict[str, tuple[str, int]] = field(default_factory=dict)  # content path → (sheet, row)
    department: Department | None = None
    entry: CatalogEntry | None = None
    existing_id: int | None = None
    failed: bool = False


@dataclass
class ParsedWorkbook:
    """What ``workbook_parse`` found: the items in file order, every error, and the 基本目录 entries the
    import would have to create (code → name, task type, basis, levels)."""

    items: list[ParsedItem]
    errors: list[RowError]
    new_entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    """What an import did, by 事项编码."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    entries_created: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- cells --------------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    return int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else None


_TRUE = {"是", "1", "y", "yes", "true", "t", "√"}
_FALSE = {"否", "0", "n", "no", "false", "f", "×"}


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _code_lookup(choices: type[models.Choices]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for value, label in choices.choices:
        table[str(label)] = value
    for value in choices.values:
        table[str(value)] = value
    return table


_LOOKUPS: dict[type[models.Choices], dict[str, Any]] = {}


def _code(value: Any, choices: type[models.Choices]) -> Any:
    """A code or its label → the code value (int for IntegerChoices); None when it is neither."""
    table = _LOOKUPS.get(choices)
    if table is None:
        table = _LOOKUPS[choices] = _code_lookup(choices)
    text = _text(value).strip()
    if text in table:
        return table[text]
    if text.isdigit():  # Excel turned 01 into 1, or someone wrote 03 for 3
        for candidate in (text.zfill(2), str(int(text))):
            if candidate in table:
                return table[candidate]
    return None


def _code_list(choices: type[models.Choices]) -> str:
    return "、".join(f"{value}（{label}）" for value, label in choices.choices)


def _convert(column: Column, value: Any) -> tuple[Any, str | None]:
    """A cell → (element value or MISSING, error message or None)."""
    if _blank(value):
        return MISSING, None
    kind = column.kind
    if kind == "int":
        number = _int(value)
        return (number, None) if number is not None else (MISSING, f"“{_text(value)}”不是整数")
    if kind == "bool":
        flag = _bool(value)
        return (flag, None) if flag is not None else (MISSING, f"“{_text(value)}”应填写“是”或“否”")
    if kind == "code":
        assert column.choices is not None  # noqa: S101 — every code column names its code list
        code = _code(value, column.choices)
        if code is None:
            return MISSING, f"“{_text(value)}”不是有效的代码，可选：{_code_list(column.choices)}"
        return code, None
    if kind == "codes":
        assert column.choices is not None  # noqa: S101
        codes, bad = [], []
        for part in _SPLIT.split(_text(value).strip()):
            code = _code(part, column.choices) if part else MISSING
            if code is None:
                bad.append(part)
            elif code is not MISSING:
                codes.append(code)
        if bad:
            return MISSING, f"“{'、'.join(bad)}”不是有效的代码，可选：{_code_list(column.choices)}（多个用“、”分隔）"
        return codes, None
    if kind == "usccs":
        return [part.upper() for part in _SPLIT.split(_text(value).strip()) if part], None
    if kind == "options":
        text = _text(value)
        parts = text.splitlines() if "\n" in text else text.split(SEPARATOR)
        return [p.strip() for p in parts if p.strip()], None
    if kind == "auto_value":  # read as its fact's kind says, once the row is whole (_auto_value)
        return value, None
    return _text(value), None


_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def _auto_scalar(value: Any, kind: str | None) -> Any:
    """One 比较值 as the fact's kind says (``schema.fact_kind``); what does not fit is left for the rules."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind == "number":
        if isinstance(value, str) and _NUMBER.match(value.strip()):
            text = value.strip()
            return float(text) if "." in text else int(text)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value.strip() if isinstance(value, str) else value
    if kind == "bool":
        flag = _bool(value)
        return flag if flag is not None else _text(value).strip()
    if kind is not None:  # text, date, any: a region code typed as a number stays text
        return _text(value).strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value


def _auto_value(value: Any, op: Any, kind: str | None) -> Any:
    """The 比较值 cell: a list for 属于/不属于 (split like 可选项), one value otherwise."""
    if op in ("in", "not_in"):
        if isinstance(value, str):
            parts = value.splitlines() if "\n" in value else value.split(SEPARATOR)
            return [_auto_scalar(p.strip(), kind) for p in parts if p.strip()]
        return [_auto_scalar(value, kind)]
    return _auto_scalar(value, kind)


def _auto_value_out(value: Any) -> Any:
    if isinstance(value, list):
        texts = [_text(v) for v in value]
        joiner = "\n" if any(SEPARATOR in t for t in texts) else SEPARATOR
        return ILLEGAL_CHARACTERS_RE.sub("", joiner.join(texts))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return value  # a number cell: read back as a number
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _cell_out(column: Column, value: Any) -> Any:
    """An element value → what the cell holds (export)."""
    if value is None or value == "" or value == []:
        return None
    kind = column.kind
    if kind == "bool":
        return "是" if value else "否"
    if kind == "int":
        return value
    if kind in ("codes", "usccs"):
        return SEPARATOR.join(str(v) for v in value)
    if kind == "options":
        joiner = "\n" if any(SEPARATOR in str(v) for v in value) else SEPARATOR
        return joiner.join(str(v) for v in value)
    if kind == "auto_value":
        return _auto_value_out(value)
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _set(obj: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        obj = obj.setdefault(part, {})
    obj[last] = value


# --- reading ------------------------------------------------------------------------------------------


def _unreadable(message: str = "文件不是有效的 Excel 工作簿（.xlsx），请使用下载的模板填写后上传") -> DomainError:
    return DomainError(ErrorCode.VALIDATION, message, field="file")


def workbook_open(data: bytes) -> Any:
    """Open an uploaded workbook read-only, refusing what is not an .xlsx (or inflates like a zip bomb)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _unreadable(f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                raise _unreadable("文件解压后过大，请分批导入")
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DomainError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error on a malformed file
        raise _unreadable() from exc


class _CorruptWorkbookError(Exception):
    """openpyxl failed half way through a sheet (broken XML inside a valid zip)."""


def _iterate(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # only openpyxl's own reading is guarded here, never our checks
            raise _CorruptWorkbookError from exc
        yield values


def _sheet_columns(book: Any, sheet: Sheet, errors: list[RowError]) -> dict[str, int]:
    """Check the header row of a sheet; returns header → column position."""
    if sheet.name not in book.sheetnames:
        errors.append(RowError(sheet.name, 0, "", f"缺少“{sheet.name}”表，请使用下载的模板"))
        return {}
    header = next(_iterate(book[sheet.name].iter_rows(max_row=1, values_only=True)), None) or ()
    index: dict[str, int] = {}
    known = set(sheet.headers)
    for position, title in enumerate(header):
        if _blank(title):
            continue
        name = _text(title).strip()
        if name in index:
            errors.append(RowError(sheet.name, 1, name, f"列“{name}”重复"))
        elif name not in known:
            errors.append(RowError(sheet.name, 1, name, f"无法识别的列“{name}”，请使用模板中的列名"))
        else:
            index[name] = position
    for name in sheet.headers:
        if name not in index:
            errors.append(RowError(sheet.name, 1, name, f"缺少列“{name}”"))
    return index


def _sheet_rows(
    book: Any, sheet: Sheet, index: dict[str, int], errors: list[RowError]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The non-blank data rows of a sheet as (Excel row number, header → cell value), streamed."""
    seen = 0
    rows = _iterate(book[sheet.name].iter_rows(min_row=2, values_only=True))
    for number, values in enumerate(rows, start=2):
        if all(_blank(v) for v in values):
            continue
        seen += 1
        if seen > MAX_ROWS_PER_SHEET:
            errors.append(RowError(sheet.name, number, "", f"每张表最多 {MAX_ROWS_PER_SHEET} 行，请分批导入"))
            return
        yield number, {name: values[i] if i < len(values) else None for name, i in index.items()}


def workbook_count_items(data: bytes) -> int:
    """How many item rows the 事项 sheet has (to choose between importing now and in the background)."""
    book = workbook_open(data)
    try:
        if SHEET_ITEMS not in book.sheetnames:
            return 0
        rows = book[SHEET_ITEMS].iter_rows(min_row=2, values_only=True)
        return sum(1 for values in rows if not all(_blank(v) for v in values))
    finally:
        book.close()


def _chunks(values: Iterable[str], size: int = 500) -> Iterator[list[str]]:
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _item_identity(item: ParsedItem, cells: dict[str, Any], errors: list[RowError]) -> None:
    """The identity columns of a 事项 row: normalise, check their form, derive the 事项编码."""
    row = item.row

    def problem(column: str, message: str) -> None:
        errors.append(RowError(SHEET_ITEMS, row, column, message))
        item.failed = True

    entry_cell = cells.get("基本编码")
    if _blank(entry_cell):
        problem("基本编码", "请填写基本编码")
    else:
        code = _text(entry_cell).strip().upper()
        if code.isdigit() and len(code) < 12:  # Excel dropped the leading zeros
            code = code.zfill(12)
        if CATALOG_CODE.match(code):
            item.entry_code = code
        else:
            problem("基本编码", f"基本编码“{code}”应为12位数字或大写字母")
    task_type, message = _convert(_ITEM_COLUMNS["事项类型"], cells.get("事项类型"))
    if message or task_type is MISSING:
        problem("事项类型", message or "请填写事项类型代码")
    else:
        item.task_type = task_type
    level, message = _convert(_ITEM_COLUMNS["行使层级"], cells.get("行使层级"))
    if message or level is MISSING:
        problem("行使层级", message or "请填写行使层级代码")
    else:
        item.level = int(level)
    uscc_cell = cells.get("实施主体统一社会信用代码")
    if _blank(uscc_cell):
        problem("实施主体统一社会信用代码", "请填写实施主体的统一社会信用代码")
    else:
        item.uscc = _text(uscc_cell).strip().upper()
    handle_cell = cells.get("业务办理项序号")
    if not _blank(handle_cell):
        handle = _text(handle_cell).strip()
        handle = handle.zfill(2) if handle.isdigit() else handle
        if HANDLE_ITEM.match(handle):
            item.handle_item = handle
        else:
            problem("业务办理项序号", "业务办理项序号应为2位数字（不是业务办理项时留空）")
    written = "" if _blank(cells.get(KEY_HEADER)) else _text(cells.get(KEY_HEADER)).strip().upper()
    if item.entry_code and item.level is not None and item.uscc:
        # The rule of ``services.task_code_for`` (+ the 业务办理项序号), on strings: the department may not exist.
        item.code = f"{item.uscc}{item.level}{item.entry_code}{item.handle_item}"
        if written and written != item.code:
            problem(KEY_HEADER, f"事项编码应为 {item.code}（统一社会信用代码 + 行使层级 + 基本编码 + 业务办理项序号）")
    else:
        item.code = written


def _row_object(sheet: Sheet, cells: dict[str, Any], number: int, errors: list[RowError]) -> tuple[dict, bool]:
    obj: dict[str, Any] = {}
    failed = False
    for column in sheet.columns:
        if column.path.startswith("@"):
            continue
        value, message = _convert(column, cells.get(column.header))
        if message:
            errors.append(RowError(sheet.name, number, column.header, f"{column.header}：{message}"))
            failed = True
        elif value is not MISSING:
            _set(obj, column.path, value)
    return obj, failed


def _attach_form_field(
    item: ParsedItem, obj: dict[str, Any], number: int, errors: list[RowError], paths: dict[str, dict]
) -> None:
    """Form rows are a tree: ``group.key`` goes into the ``fields`` of the row ``group`` (listed above it)."""
    full = str(obj.get("key", ""))
    parent_key, _, key = full.rpartition(".")
    obj["key"] = key
    form = item.raw.setdefault("form", [])
    if parent_key:
        parent = paths.get(parent_key)
        if parent is None:
            errors.append(
                RowError(SHEET_FORM, number, "字段标识", f"上级字段组“{parent_key}”不存在，须先在上面的行列出字段组")
            )
            item.failed = True
            return
        siblings = parent["obj"].setdefault("fields", [])
        path = f"{parent['path']}.fields.{len(siblings)}"
    else:
        siblings = form
        path = f"form.{len(form)}"
    siblings.append(obj)
    item.rows[path] = (SHEET_FORM, number)
    paths[full] = {"obj": obj, "path": path}


def _attach_auto_condition(
    item: ParsedItem, obj: dict[str, Any], number: int, errors: list[RowError], rules_by_name: dict[str, dict]
) -> None:
    """A 秒批规则 row is one condition: rows with the same 规则名称 make one rule (see the module docstring)."""
    condition = obj.pop("conditions", {})
    name = str(obj.get("name", "")).strip()
    if not name:
        message = "规则名称：请填写规则名称（同一规则的各个条件行填写相同的规则名称）"
        errors.append(RowError(SHEET_AUTO_RULES, number, "规则名称", message))
        item.failed = True
        return
    if "value" in condition:
        form_types = {str(f.get("key")): str(f.get("type")) for f in item.raw.get("form") or [] if isinstance(f, dict)}
        kind = fact_kind(str(condition.get("fact", "")).strip(), form_types)
        condition["value"] = _auto_value(condition["value"], condition.get("op"), kind)
    known = rules_by_name.get(name)
    if known is None:
        rules = item.raw.setdefault("auto_rules", [])
        path = f"auto_rules.{len(rules)}"
        rule = {**obj, "conditions": [condition]}
        rules.append(rule)
        rules_by_name[name] = {"rule": rule, "row": number, "path": path}
        item.rows[path] = (SHEET_AUTO_RULES, number)
        item.rows[f"{path}.conditions.0"] = (SHEET_AUTO_RULES, number)
        return
    rule = known["rule"]
    for key, header in (("outcome", "决定结果"), ("reason", "决定理由")):
        if key not in obj:
            continue
        if key not in rule:  # the first row left it blank
            rule[key] = obj[key]
        elif str(obj[key]).strip() != str(rule[key]).strip():
            message = f"{header}：与第{known['row']}行（同一规则“{name}”）的{header}不一致"
            errors.append(RowError(SHEET_AUTO_RULES, number, header, message))
            item.failed = True
    rule["conditions"].append(condition)
    item.rows[f"{known['path']}.conditions.{len(rule['conditions']) - 1}"] = (SHEET_AUTO_RULES, number)


def _column_for(sheet: Sheet, rest: list[str]) -> str:
    """The header of the column an element path (relative to the row's object) is written in."""
    parts = [p for p in rest if not p.isdigit()]
    if not parts:
        return WHOLE_ROW
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        for column in sheet.columns:
            if column.path == prefix:
                return column.header
        for column in sheet.columns:
            if column.path.startswith(prefix + "."):
                return column.header
    return WHOLE_ROW


def _cell_message(column: str, message: str) -> str:
    """``承诺办结时限·时限：…`` → ``承诺办结时限：…``: the rules name the element by its path in the content
    (``申请材料第3项·…``); in a sheet the column header says it better (and is right for nested keys)."""
    _label, colon, detail = message.partition("：")
    return f"{column}：{detail}" if colon and not column.startswith("（") else message


def _locate(item: ParsedItem, path: str) -> tuple[str, int, str]:
    """A FieldError path of ``check_content`` (``materials.2.necessity``) → (sheet, row, column)."""
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        located = item.rows.get(".".join(parts[:n]))
        if located is not None:
            sheet_name, row = located
            rest = parts[n:]
            if sheet_name == SHEET_AUTO_RULES and n == 4:  # auto_rules.<i>.conditions.<j>: a condition row
                rest = ["conditions", *rest]
            return sheet_name, row, _column_for(_SHEET_BY_NAME[sheet_name], rest)
    if parts[0] in _SHEET_BY_ELEMENT:  # the list as a whole (too few rows, too many, …)
        return SHEET_ITEMS, item.row, f"（{_SHEET_BY_ELEMENT[parts[0]].name}表）"
    return SHEET_ITEMS, item.row, _column_for(ITEM_SHEET, parts)


def _read_items(
    book: Any, columns: dict[str, int], items: list[ParsedItem], errors: list[RowError]
) -> dict[str, ParsedItem]:
    """The 事项 rows, in order; returns them by 事项编码 (the first row of each code)."""
    by_code: dict[str, ParsedItem] = {}
    for number, cells in _sheet_rows(book, ITEM_SHEET, columns, errors):
        item = ParsedItem(row=number)
        _item_identity(item, cells, errors)
        item.raw, failed = _row_object(ITEM_SHEET, cells, number, errors)
        item.failed = item.failed or failed
        items.append(item)
        if item.code:
            first = by_code.get(item.code)
            if first is not None:
                errors.append(RowError(SHEET_ITEMS, number, KEY_HEADER, f"与第{first.row}行是同一事项（{item.code}）"))
                item.failed = True
            else:
                by_code[item.code] = item
    return by_code


def _read_children(
    book: Any, sheet: Sheet, columns: dict[str, int], by_code: dict[str, ParsedItem], errors: list[RowError]
) -> None:
    """The rows of one list sheet, appended to their item's content in row order."""
    form_paths: dict[str, dict[str, dict]] = {}
    rule_names: dict[str, dict[str, dict]] = {}
    for number, cells in _sheet_rows(book, sheet, columns, errors):
        code = "" if _blank(cells.get(KEY_HEADER)) else _text(cells.get(KEY_HEADER)).strip().upper()
        owner = by_code.get(code)
        if owner is None:
            message = "请填写事项编码" if not code else f"事项编码“{code}”在“事项”表中没有对应的行"
            errors.append(RowError(sheet.name, number, KEY_HEADER, message))
            continue
        obj, failed = _row_object(sheet, cells, number, errors)
        owner.failed = owner.failed or failed
        if sheet.element == "form":
            _attach_form_field(owner, obj, number, errors, form_paths.setdefault(owner.code, {}))
        elif sheet.element == "auto_rules":
            _attach_auto_condition(owner, obj, number, errors, rule_names.setdefault(owner.code, {}))
        else:
            rows = owner.raw.setdefault(sheet.element, [])
            owner.rows[f"{sheet.element}.{len(rows)}"] = (sheet.name, number)
            rows.append(obj)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading builds hundreds of thousands of small dicts and lists that live until the end (and form no
    cycles); the cyclic collector rescans them again and again: pausing it makes a 5,000-item parse ~30%
    faster (bench/catalog_import.py). Restored on the way out, whatever happens."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def workbook_parse(data: bytes) -> ParsedWorkbook:
    """Read every sheet and check every row; write nothing. Needs the database only to read departments,
    catalog entries and existing items. Permissions are checked by :func:`workbook_import`."""
    with _collector_paused():
        return _parse(data)


def _parse(data: bytes) -> ParsedWorkbook:
    errors: list[RowError] = []
    try:
        book = workbook_open(data)
    except DomainError as exc:
        return ParsedWorkbook(items=[], errors=[RowError("文件", 0, "", exc.message)])
    items: list[ParsedItem] = []
    try:
        columns = {sheet.name: _sheet_columns(book, sheet, errors) for sheet in SHEETS}
        if errors:  # the shape of the file is wrong: rows would be misread
            return ParsedWorkbook(items=[], errors=errors)
        by_code = _read_items(book, columns[SHEET_ITEMS], items, errors)
        for sheet in CHILD_SHEETS:
            _read_children(book, sheet, columns[sheet.name], by_code, errors)
    except _CorruptWorkbookError:
        return ParsedWorkbook(items=[], errors=[RowError("文件", 0, "", "文件内容已损坏，无法读取")])
    finally:
        book.close()

    new_entries = _check_against_database(items, errors)
    usccs = known_usccs()
    located = {(e.sheet, e.row, e.column) for e in errors}
    for item in items:
        content, problems = check_content(item.raw, known_usccs=usccs)
        for problem in problems:
            where = _locate(item, problem.field)
            if where not in located:  # a cell error already says what is wrong there
                errors.append(RowError(*where, _cell_message(where[2], problem.message)))
        if content is None or item.failed:
            item.failed = True
        else:
            item.content = content_dump(content)
            item.raw = {}  # the canonical content replaces it; a 25,000-item file must fit in memory
    return ParsedWorkbook(items=items, errors=errors, new_entries=new_entries)


def _check_against_database(items: list[ParsedItem], errors: list[RowError]) -> dict[str, dict[str, Any]]:
    """Departments exist; 基本编码 exists (or can be created) with the same type and the level; the item is
    not cancelled. Returns the entries an import would create."""
    departments = {
        d.uscc: d
        for d in Department.objects.filter(uscc__in={i.uscc for i in items if i.uscc}).select_related("region")
    }
    entries: dict[str, CatalogEntry] = {}
    for batch in _chunks(sorted({i.entry_code for i in items if i.entry_code})):
        entries.update((e.code, e) for e in CatalogEntry.objects.filter(code__in=batch))
    existing: dict[str, tuple[int, str]] = {}
    rows = ServiceItem.objects.filter(department__in=list(departments.values())).values_list(
        "pk", "task_code", "handle_item_code", "state"
    )
    for pk, task_code, handle_code, state in rows:
        existing[handle_code or task_code] = (pk, state)

    new_entries: dict[str, dict[str, Any]] = {}
    for item in items:

        def problem(column: str, message: str, item: ParsedItem = item) -> None:
            errors.append(RowError(SHEET_ITEMS, item.row, column, message))
            item.failed = True

        if item.uscc:
            item.department = departments.get(item.uscc)
            if item.department is None:
                problem("实施主体统一社会信用代码", f"统一社会信用代码 {item.uscc} 不是平台上的机构")
        if item.entry_code and item.task_type:
            entry = entries.get(item.entry_code)
            if entry is not None:
                item.entry = entry
                if entry.task_type != item.task_type:
                    problem(
                        "事项类型",
                        f"事项类型与基本目录不一致：基本编码 {entry.code} 的事项类型是 "
                        f"{entry.task_type}（{entry.get_task_type_display()}）",
                    )
                if item.level is not None and item.level not in entry.levels:
                    allowed = "、".join(f"{lv}（{ItemLevel(lv).label}）" for lv in entry.levels)
                    problem("行使层级", f"行使层级 {item.level} 不在基本目录 {entry.code} 规定的层级（{allowed}）之内")
            elif item.entry_code[2:4] != item.task_type:
                problem("基本编码", f"基本编码第3–4位应为事项类型代码 {item.task_type}")
            else:
                planned = new_entries.setdefault(
                    item.entry_code,
                    {
                        "name": str(item.raw.get("name", "")).strip(),
                        "task_type": item.task_type,
                        "legal_basis": str(item.raw.get("legal_basis", "")).strip(),
                        "levels": set(),
                        "rows": [],
                    },
                )
                if planned["task_type"] != item.task_type:
                    problem("事项类型", f"同一基本编码 {item.entry_code} 在本文件中的事项类型不一致")
                if item.level is not None:
                    planned["levels"].add(item.level)
                planned["rows"].append(item.row)
        if item.code in existing:
            item.existing_id, state = existing[item.code]
            if state == ItemState.CANCELLED:
                problem(KEY_HEADER, "该事项已取消，不能再导入修改")
    return new_entries


# --- importing ----------------------------------------------------------------------------------------

_SERVICE_FIELD_COLUMNS = {
    "level": "行使层级",
    "levels": "行使层级",
    "handle_item": "业务办理项序号",
    "task_code": KEY_HEADER,
    "revision": KEY_HEADER,
    "code": "基本编码",
    "task_type": "事项类型",
    "name": "事项名称",
    "legal_basis": "设定依据",
}


def _service_errors(row: int, exc: DomainError, default_column: str) -> list[tuple[RowError, str]]:
    if exc.code == ErrorCode.PERMISSION_DENIED:
        return [(RowError(SHEET_ITEMS, row, default_column, exc.message), exc.code.value)]
    errors = exc.errors or [FieldError(field="", message=exc.message, code=exc.code.value)]
    return [
        (
            RowError(SHEET_ITEMS, row, _SERVICE_FIELD_COLUMNS.get(e.field.split(".")[-1], default_column), e.message),
            e.code,
        )
        for e in errors
    ]


def _permission_errors(actor: Any, parsed: ParsedWorkbook) -> list[tuple[RowError, str]]:
    """Refuse, row by row and before any write, what the services would refuse: departments outside the
    actor's CATALOG_EDIT scope, and new 基本目录 entries without CATALOG_REVIEW."""
    if actor is None:  # the platform itself (commands, the demo loader), as in the services
        return []
    department_ids = {i.department.pk for i in parsed.items if i.department is not None}
    editable = set(
        Department.objects.restrict(actor, Action.CATALOG_EDIT)
        .filter(pk__in=department_ids)
        .values_list("pk", flat=True)
    )
    out: list[tuple[RowError, str]] = []
    denied = ErrorCode.PERMISSION_DENIED.value
    for item in parsed.items:
        if item.department is not None and item.department.pk not in editable:
            message = f"您无权编辑“{item.department.name}”的事项（只能导入本部门或本级管辖范围内的事项）"
            out.append((RowError(SHEET_ITEMS, item.row, "实施主体统一社会信用代码", message), denied))
    if parsed.new_entries and not user_can(actor, Action.CATALOG_REVIEW):
        for code, planned in parsed.new_entries.items():
            for row in planned["rows"]:
                message = f"基本编码 {code} 不在基本目录中；只有政务服务管理机构可以新增基本目录，请先联系其添加"
                out.append((RowError(SHEET_ITEMS, row, "基本编码", message), denied))
    return out


def _canonical(raw: Any) -> dict[str, Any] | None:
    content, errors = parse_content(raw)
    return content_dump(content) if content is not None and not errors else None


def workbook_import(*, actor: Any, data: bytes, progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Import a workbook, all or nothing (see the module docstring). Raises ``DomainError`` (VALIDATION,
    one ``FieldError`` per problem, ``field`` = ``表!行!列``) and writes nothing when any row fails.

    The file is read and checked before the transaction opens, so a slow parse never holds the write
    lock; a concurrent change between the check and the write is refused by the services themselves
    (``item_create``: 实施编码 exists; ``draft_update``: revision moved) and rolls everything back.
    """
    parsed = workbook_parse(data)
    codes: dict[RowError, str] = {}
    errors = list(parsed.errors)
    if not errors:
        for error, code in _permission_errors(actor, parsed):
            errors.append(error)
            codes[error] = code
    if errors:
        raise _refusal(errors, codes)

    result = ImportResult()
    total = len(parsed.items)
    if progress:
        progress(0, total)
    with transaction.atomic():
        entries: dict[str, CatalogEntry] = {}
        for code, planned in parsed.new_entries.items():
            try:
                entries[code] = catalog_entry_create(
                    actor=actor,
                    code=code,
                    name=planned["name"],
                    task_type=planned["task_type"],
                    legal_basis=planned["legal_basis"],
                    levels=sorted(planned["levels"]),
                )
                result.entries_created.append(code)
            except DomainError as exc:
                for row in planned["rows"]:
                    for error, error_code in _service_errors(row, exc, "基本编码"):
                        errors.append(error)
                        codes[error] = error_code
        existing_ids = [i.existing_id for i in parsed.items if i.existing_id is not None]
        drafts = {d.item_id: d for d in ItemDraft.objects.filter(item_id__in=existing_ids)} if existing_ids else {}
        for done, item in enumerate(parsed.items, start=1):
            assert item.content is not None and item.department is not None and item.level is not None  # noqa: S101
            try:
                if item.existing_id is not None:
                    draft = drafts.get(item.existing_id)
                    if draft is None:
                        raise not_found("事项草稿")
                    if draft.content == item.content or _canonical(draft.content) == item.content:
                        result.unchanged.append(item.code)
                    else:
                        draft_update(
                            actor=actor, item_id=item.existing_id, content=item.content, revision=draft.revision
                        )
                        result.updated.append(item.code)
                else:
                    entry = item.entry or entries.get(item.entry_code)
                    if entry is not None:
                        item_create(
                            actor=actor,
                            entry=entry,
                            department=item.department,
                            level=item.level,
                            handle_item=item.handle_item,
                            content=item.content,
                        )
                        result.created.append(item.code)
            except DomainError as exc:
                for error, error_code in _service_errors(item.row, exc, "实施主体统一社会信用代码"):
                    errors.append(error)
                    codes[error] = error_code
            if progress:
                progress(done, total)
        if errors:
            raise _refusal(errors, codes)  # rolls back every row written above
        record(
            actor=actor,
            action="catalog.import",
            object_type="catalog.workbook",
            object_id=hashlib.sha256(data).hexdigest(),
            object_repr=f"事项批量导入（{total} 项）",
            changes={
                "created": len(result.created),
                "updated": len(result.updated),
                "unchanged": len(result.unchanged),
                "entries_created": result.entries_created,
            },
        )
    return result


# --- exporting ----------------------------------------------------------------------------------------


def published_version_get(*, version_id: int) -> ItemVersion:
    """A published version by id, for the public JSON export (every ItemVersion is a published one)."""
    version = ItemVersion.objects.select_related("item__entry", "department").filter(pk=version_id).first()
    if version is None:
        raise not_found("事项版本")
    return version


def version_json(version: ItemVersion) -> dict[str, Any]:
    """The JSON export of one published version: item identity, version number, effective dates, content."""
    item = version.item
    return {
        "code": item.code,
        "task_code": item.task_code,
        "handle_item_code": item.handle_item_code,
        "catalog_code": item.entry.code,
        "task_type": version.task_type,
        "level": version.level,
        "department": {"uscc": version.department.uscc, "name": version.department.name},
        "version": version.number,
        "effective_from": version.effective_from.isoformat(),
        "effective_until": version.effective_until.isoformat() if version.effective_until else None,
        "published_at": version.published_at.isoformat(),
        "content_hash": version.content_hash,
        "content": version.content,
    }


def _child_rows(sheet: Sheet, code: str, content: dict[str, Any]) -> Iterator[list[Any]]:
    def values(obj: dict[str, Any], key_path: str = "") -> list[Any]:
        out: list[Any] = []
        for column in sheet.columns:
            if column.path == "@code":
                out.append(code)
            elif column.kind == "field_key":
                out.append(key_path)
            else:
                out.append(_cell_out(column, _get(obj, column.path)))
        return out

    if sheet.element == "form":

        def walk(fields: list[dict[str, Any]], prefix: str) -> Iterator[list[Any]]:
            for f in fields:
                path = f"{prefix}{f.get('key', '')}"
                yield values(f, path)
                yield from walk(f.get("fields") or [], f"{path}.")

        yield from walk(content.get("form") or [], "")
    elif sheet.element == "auto_rules":
        for rule in content.get("auto_rules") or []:
            for condition in rule.get("conditions") or []:
                yield values({**rule, "conditions": condition})
    else:
        for obj in content.get(sheet.element) or []:
            yield values(obj)


@dataclass(frozen=True)
class WorkbookItem:
    """One item as the workbook writes it: identity and content (from a published version, or built)."""

    entry_code: str
    task_type: str
    level: int
    uscc: str
    content: dict[str, Any]
    handle_item: str = ""
    department_name: str = ""

    @property
    def code(self) -> str:
        # The rule of ``services.task_code_for`` (+ the 业务办理项序号), on strings.
        return f"{self.uscc}{self.level}{self.entry_code}{self.handle_item}"

    @classmethod
    def of_version(cls, version: ItemVersion) -> WorkbookItem:
        item = version.item
        return cls(
            entry_code=item.entry.code,
            task_type=version.task_type,
            level=version.level,
            uscc=version.department.uscc,
            content=version.content,
            handle_item=item.handle_item_code[len(item.task_code) :] if item.handle_item_code else "",
            department_name=version.department.name,
        )


def _item_row(item: WorkbookItem) -> list[Any]:
    identity = {
        "@code": item.code,
        "@entry": item.entry_code,
        "@task_type": item.task_type,
        "@level": str(item.level),
        "@uscc": item.uscc,
        "@department_name": item.department_name or None,
        "@handle": item.handle_item or None,
    }
    return [
        identity[c.path] if c.path.startswith("@") else _cell_out(c, _get(item.content, c.path))
        for c in ITEM_SHEET.columns
    ]


def _is_required(model: type[BaseModel], path: str) -> bool:
    for part in path.split("."):
        info = model.model_fields.get(part)
        if info is None or not info.is_required():
            return False
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return True


def _constraint_note(model: type[BaseModel], column: Column) -> str:
    part = column.path.split(".")[-1]
    owner = model
    for step in column.path.split(".")[:-1]:
        annotation = owner.model_fields[step].annotation
        for candidate in getattr(annotation, "__args__", (annotation,)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                owner = candidate
    info = owner.model_fields.get(part)
    if info is None:
        return ""
    bounds = {type(m).__name__: m for m in info.metadata}
    notes: list[str] = []
    if column.kind == "text" and "MaxLen" in bounds:
        notes.append(f"最多 {bounds['MaxLen'].max_length} 字")
    if column.kind == "int" and "Ge" in bounds and "Le" in bounds:
        notes.append(f"整数 {bounds['Ge'].ge}–{bounds['Le'].le}")
    elif column.kind == "int":
        notes.append("整数")
    if column.kind == "bool":
        notes.append("是/否")
    if column.kind in ("codes", "usccs"):
        notes.append("多个用“、”分隔")
    default = info.get_default(call_default_factory=True) if not info.is_required() else None
    if default not in (None, "", []):
        shown = ("是" if default else "否") if isinstance(default, bool) else getattr(default, "value", default)
        notes.append(f"留空默认 {shown}")
    return "；".join(notes)


def _help_rows() -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["一网通办 · 实施清单事项批量导入模板"],
        [],
        ["1", "每张表第1行为列名，请勿修改列名或表名；从第2行开始每行一条记录，空行忽略。"],
        [
            "2",
            "“事项”表每行一个事项；材料、收费、环节、结果、特别程序、表单字段各表每行一条，按行的先后排序；"
            "秒批规则表每行一个条件。",
        ],
        [
            "3",
            "各子表用“事项编码”关联“事项”表：事项编码 = 实施主体统一社会信用代码（18位）+ 行使层级代码（1位）"
            "+ 基本编码（12位），业务办理项再加2位业务办理项序号。导出的文件已填好事项编码。",
        ],
        ["4", "代码列填写代码（见下方代码表，也可填写其含义）；多个值用“、”分隔；是否类的列填“是”或“否”。"],
        ["5", "表单字段中，字段组的子字段的字段标识写作“组标识.字段标识”，列在字段组那一行之后。"],
        [
            "6",
            "导入时先校验全部行（格式、代码、发布规则、机构、基本编码、重复、权限），任何一处有误则不写入任何内容，"
            "并列出每处错误所在的表、行、列。",
        ],
        [
            "7",
            "校验通过后：新事项创建草稿；已有事项更新草稿（内容相同的不变）。导入从不发布事项，"
            "发布仍须提交变更申请并经审核。",
        ],
        [
            "8",
            "基本编码不在基本目录中时：政务服务管理机构导入会同时新增该基本目录（名称取事项名称，类型取事项类型，"
            "设定依据取设定依据，行使层级取本文件中使用的层级）；部门管理员须先请管理机构添加。",
        ],
        ["9", "部门管理员只能导入本部门的事项；文件不超过 10 MB。"],
        [
            "10",
            "秒批规则：同一事项中规则名称相同的行是同一条规则，全部条件成立时按决定结果自动办理；规则按先后判断，"
            "第一条成立的规则决定；缺少判断所需的信息时转人工审核。决定结果、决定理由在同一规则的后续行可留空。",
        ],
        [],
        ["表", "列", "必填", "说明", "取值"],
    ]
    for sheet in SHEETS:
        for column in sheet.columns:
            if column.required is not None:
                required = column.required
            elif column.path.startswith("@"):
                required = False
            else:
                required = _is_required(sheet.model, column.path)
            values = _code_list(column.choices) if column.choices else ""
            note = "；".join(n for n in (column.note, _constraint_note(sheet.model, column)) if n)
            rows.append([sheet.name, column.header, "是" if required else "", note, values])
    rows += [[], ["代码表", "代码", "含义"]]
    seen: set[type[models.Choices]] = set()
    for sheet in SHEETS:
        for column in sheet.columns:
            if column.choices and column.choices not in seen:
                seen.add(column.choices)
                title = (column.choices.__doc__ or column.choices.__name__).strip().split(" ")[0].rstrip(".")
                for value, label in column.choices.choices:
                    rows.append([title, str(value), str(label)])
    return rows


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _write_sheet(book: Workbook, sheet: Sheet, rows: list[list[Any]]) -> None:
    ws = book.create_sheet(sheet.name)
    ws.freeze_panes = "A2"
    # A write-only sheet has no <dimension>; without it openpyxl's read-only mode parses each sheet twice
    # (once to find its size). The writer asks the sheet for it, so give it one.
    dimension = f"A1:{get_column_letter(len(sheet.columns))}{len(rows) + 1}"
    ws.calculate_dimension = lambda: dimension
    for position, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(position)
        ws.column_dimensions[letter].width = column.width
        if column.kind in _TEXT_FORMAT_KINDS:
            ws.column_dimensions[letter].number_format = "@"
        cells = f"{letter}2:{letter}1048576"
        if column.kind == "bool" or (column.kind == "code" and column.choices is not None):
            options, prompt = ["是", "否"], "是 / 否"
            if column.choices is not None:
                options, prompt = [str(v) for v in column.choices.values], _code_list(column.choices)
            formula = '"' + ",".join(options) + '"'
            if len(formula) <= 255:
                dv = DataValidation(
                    type="list",
                    formula1=formula,
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle="取值不正确",
                    error=f"请从下拉列表中选择{column.header}的代码",
                    showInputMessage=True,
                    promptTitle=column.header[:32],
                    prompt=prompt[:255],
                )
                dv.add(cells)
                ws.data_validations.append(dv)
        elif column.kind == "codes" and column.choices is not None:
            dv = DataValidation(
                showInputMessage=True,
                promptTitle=column.header[:32],
                prompt=(_code_list(column.choices) + "；多个用“、”分隔")[:255],
            )
            dv.add(cells)
            ws.data_validations.append(dv)
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAP
        header.append(cell)
    ws.append(header)
    for values in rows:
        out: list[Any] = []
        for value in values:
            if isinstance(value, str) and value.startswith("="):  # text, never a formula
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)


def _write_help(book: Workbook) -> None:
    ws = book.create_sheet(SHEET_HELP)
    for letter, width in zip("ABCDE", (18, 26, 6, 60, 60), strict=True):
        ws.column_dimensions[letter].width = width
    for values in _help_rows():
        heading = len(values) == 1 or (bool(values) and values[0] in ("表", "代码表"))
        cells = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            cell.alignment = _WRAP
            if heading:
                cell.font = _HEADER_FONT
            cells.append(cell)
        ws.append(cells)


def workbook_write(items: Iterable[WorkbookItem]) -> bytes:
    """Write items in the import layout, with the header, code lists and the 说明 sheet."""
    item_rows: list[list[Any]] = []
    child_rows: dict[str, list[list[Any]]] = {s.name: [] for s in CHILD_SHEETS}
    for item in items:
        item_rows.append(_item_row(item))
        for sheet in CHILD_SHEETS:
            child_rows[sheet.name].extend(_child_rows(sheet, item.code, item.content))
    book = Workbook(write_only=True)
    _write_sheet(book, ITEM_SHEET, item_rows)
    for sheet in CHILD_SHEETS:
        _write_sheet(book, sheet, child_rows[sheet.name])
    _write_help(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_export(versions: Iterable[ItemVersion]) -> bytes:
    """The import layout filled from published versions: an export re-imports to the same contents."""
    if isinstance(versions, QuerySet):
        versions = versions.select_related("item__entry", "department")
    return workbook_write(WorkbookItem.of_version(v) for v in versions)


def workbook_template() -> bytes:
    """An empty workbook with every sheet, header, code list and the 说明 sheet."""
    return workbook_write([])
