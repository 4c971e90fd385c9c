"""The application form (申请表) of a case: validation, parsing an HTML POST, and display.

The form is generated from the item version's ``content["form"]`` (a list of ``catalog.schema.FormField``
dicts), so the same three functions serve the portal, the window (窗口代录) and the API:

- ``form_validate`` cleans what the client sent and refuses it with *every* problem at once, each error
  on the path ``form.<key>`` (``form.<group>.<i>.<key>`` inside a repeatable group) with a message
  ``<字段名称>：<怎么改>`` in plain Chinese. ``partial=True`` is the draft autosave: see below.
- ``form_from_post`` turns the inputs of ``cases/_form_fields.html`` back into that same shape.
- ``form_display`` gives the rows a page shows; 身份证号 and 电话 are masked (脱敏显示).

Decisions (see the report of the form-data work):

- Unknown keys are refused (``未知字段``), not ignored: a client that sends a key the form does not have
  is out of step with the item version and should hear so, rather than lose the value silently.
- Cleaned data holds only the fields that were filled; an empty optional field is left out, so the 秒批
  operator ``present`` means "the applicant filled it in".
- A draft (``partial=True``) keeps whatever the user typed, unchanged, so nothing typed is ever lost; it is
  checked only for shape (text ≤ 10000 characters, lists and rows of the right kind, no unknown key) and
  for attached uploads, which must still pass ``upload_ok`` so a draft cannot point at another person's file.
- Without ``upload_ok`` every attached file is refused (fail closed).
- The page marks required inputs with ``aria-required`` and a visible “必填”, not the HTML ``required``
  attribute, so that “保存草稿” can submit a half-filled form without the browser blocking it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from stdnum.cn import ric

from yiwang.core.errors import DomainError, ErrorCode, FieldError
from yiwang.core.identifiers import validate_id_number, validate_uscc
from yiwang.core.masking import mask_id_number, mask_phone
from yiwang.regions.models import Region

FORM_PREFIX = "form"
FORM_ERROR_MESSAGE = "申请表填写有误，请按提示修改"
UPLOAD_REFUSED = "文件不存在或不属于您"
DRAFT_MAX_CHARS = 10000  # a draft keeps any text up to this length, valid or not
DEFAULT_MAX_LENGTH = {"text": 500, "address": 300}
NUMBER_LIMIT = 10**15  # beyond this a float loses whole units; no form asks for such a number
MIN_YEAR, MAX_YEAR = 1900, 2100
EMPTY_DISPLAY = "未填写"

# Kinds of field, by how they are entered.
CHOICE_TYPES = frozenset({"select", "region"})  # chosen from a list: “请选择”
SCALAR_TYPES = frozenset({"text", "number", "date", "select", "id_number", "uscc", "region", "phone", "address"})

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_REGION_RE = re.compile(r"^(\d{6}|\d{9}|\d{12})$")
_ROW_INDEX_RE = re.compile(r"^(\d{1,3})\.")

Fields = list[dict[str, Any]]


# --- validation --------------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What one validation run collects: errors in form order, and region codes to look up in one query."""

    upload_ok: Callable[[int], bool] | None
    partial: bool
    errors: list[FieldError] = field(default_factory=list)
    # The region codes of the form that exist, looked up in one query before the walk.
    regions: set[str] = field(default_factory=set)

    def refuse(self, path: str, label: str, what: str) -> None:
        self.errors.append(FieldError(field=path, message=f"{label}：{what}"))


class _Invalid(ValueError):
    """One value is wrong; the message says how to put it right (without the field's name)."""


def form_validate(
    *,
    fields: Fields,
    data: Any,
    upload_ok: Callable[[int], bool] | None = None,
    partial: bool = False,
) -> dict[str, Any]:
    """Clean the application form ``data`` against ``fields`` (``version.content["form"]``).

    Returns only the fields that were filled: text stripped, numbers as ``int``/``float``, dates as
    ``YYYY-MM-DD``, 身份证号 with an upper-case X, phone numbers without spaces, groups as lists of cleaned
    rows, files as lists of upload ids that ``upload_ok`` accepted. Raises ``DomainError(VALIDATION)``
    listing every problem, each on ``form.<key>`` or ``form.<group>.<i>.<key>``.

    ``partial=True`` (draft autosave): nothing is required and nothing is normalised — every value that is
    not empty comes back exactly as sent, after a shape check only (see the module docstring).
    """
    ctx = _Context(upload_ok=upload_ok, partial=partial)
    if not isinstance(data, Mapping):
        ctx.errors.append(FieldError(field=FORM_PREFIX, message="申请表：提交的内容格式不正确，请刷新页面后重新填写"))
        _raise(ctx)
    if not partial:
        ctx.regions = _existing_regions(_region_codes(fields, data))
    cleaned = _validate_fields(ctx, fields, data, path=FORM_PREFIX, label_prefix="")
    if ctx.errors:
        _raise(ctx)
    return cleaned


def _raise(ctx: _Context) -> None:
    raise DomainError(ErrorCode.VALIDATION, FORM_ERROR_MESSAGE, errors=ctx.errors)


def _validate_fields(
    ctx: _Context, fields: Fields, data: Mapping[str, Any], *, path: str, label_prefix: str
) -> dict[str, Any]:
    known = {f["key"] for f in fields}
    cleaned: dict[str, Any] = {}
    for spec in fields:
        key = spec["key"]
        value = data.get(key)
        field_path = f"{path}.{key}"
        label = label_prefix + spec["label"]
        if spec["type"] == "group":
            rows = _validate_group(ctx, spec, value, path=field_path, label=label)
            if rows:
                cleaned[key] = rows
        elif spec["type"] == "file":
            ids = _validate_files(ctx, spec, value, path=field_path, label=label)
            if ids:
                cleaned[key] = ids
        elif ctx.partial:
            if _draft_scalar_ok(ctx, value, path=field_path, label=label) and not _is_empty(value):
                cleaned[key] = value
        elif _is_empty(value):
            if spec.get("required"):
                ctx.refuse(field_path, label, "请选择" if spec["type"] in CHOICE_TYPES else "请填写")
        else:
            try:
                cleaned[key] = _clean_scalar(spec, value, regions=ctx.regions)
            except _Invalid as exc:
                ctx.refuse(field_path, label, str(exc))
    for key in data:
        if key not in known:
            name = str(key)[:60]
            ctx.refuse(f"{path}.{name}", label_prefix + name, "未知字段，本申请表没有这一项，请刷新页面后重新填写")
    return cleaned


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def _draft_scalar_ok(ctx: _Context, value: Any, *, path: str, label: str) -> bool:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return True
    if not isinstance(value, str):
        ctx.refuse(path, label, "内容格式不正确")
        return False
    if len(value) > DRAFT_MAX_CHARS:
        ctx.refuse(path, label, f"内容太长，草稿最多保存{DRAFT_MAX_CHARS}个字")
        return False
    return True


def _validate_group(ctx: _Context, spec: dict[str, Any], value: Any, *, path: str, label: str) -> list[Any]:
    if _is_empty(value):
        wanted = max(spec.get("min_items", 0), 1 if spec.get("required") else 0)
        if wanted and not ctx.partial:
            ctx.refuse(path, label, f"请至少填写{wanted}项")
        return []
    if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
        ctx.refuse(path, label, "内容格式不正确，请刷新页面后重新填写")
        return []
    min_items, max_items = spec.get("min_items", 0), spec.get("max_items", 20)
    if len(value) > max_items:
        ctx.refuse(path, label, f"最多填写{max_items}项，现有{len(value)}项，请删去多余的")
        return []
    if not ctx.partial and len(value) < min_items:
        ctx.refuse(path, label, f"至少填写{min_items}项，现有{len(value)}项")
    sub_fields = spec.get("fields", [])
    return [
        _validate_fields(ctx, sub_fields, row, path=f"{path}.{index}", label_prefix=f"{label}第{index + 1}项·")
        for index, row in enumerate(value)
    ]


def _validate_files(ctx: _Context, spec: dict[str, Any], value: Any, *, path: str, label: str) -> list[int]:
    if _is_empty(value):
        if spec.get("required") and not ctx.partial:
            ctx.refuse(path, label, "请上传文件")
        return []
    if not isinstance(value, list):
        ctx.refuse(path, label, "内容格式不正确，请刷新页面后重新上传")
        return []
    ids: list[int] = []
    for upload_id in value:
        if isinstance(upload_id, bool) or not isinstance(upload_id, int):
            ctx.refuse(path, label, UPLOAD_REFUSED)
            return []
        if upload_id not in ids:
            ids.append(upload_id)
    max_items = spec.get("max_items", 20)
    if len(ids) > max_items:
        ctx.refuse(path, label, f"最多上传{max_items}个文件，现有{len(ids)}个，请删去多余的")
        return []
    # Fail closed: with no way to check ownership, no attached file is accepted.
    if ctx.upload_ok is None or not all(ctx.upload_ok(upload_id) for upload_id in ids):
        ctx.refuse(path, label, UPLOAD_REFUSED)
        return []
    return ids


def _clean_scalar(spec: dict[str, Any], value: Any, *, regions: set[str]) -> Any:
    kind = spec["type"]
    if kind == "number":
        return _clean_number(value)
    if not isinstance(value, str):
        raise _Invalid("内容格式不正确，请重新填写")
    text = value.strip()
    if kind in ("text", "address"):
        limit = spec.get("max_length") or DEFAULT_MAX_LENGTH[kind]
        if len(text) > limit:
            raise _Invalid(f"最多填写{limit}个字，现在有{len(text)}个字")
        return text
    text = unicodedata.normalize("NFKC", text)  # full-width digits and letters typed with a Chinese IME
    if kind == "date":
        return _clean_date(text)
    if kind == "select":
        if text not in spec.get("options", []):
            raise _Invalid("请从列表中选择")
        return text
    if kind == "id_number":
        return _clean_id_number(text)
    if kind == "uscc":
        return _clean_uscc(text)
    if kind == "region":
        if not _REGION_RE.match(text):
            raise _Invalid("请从列表中选择")
        if text not in regions:
            raise _Invalid("所选地区不存在，请重新选择")
        return text
    if kind == "phone":
        return _clean_phone(text)
    raise _Invalid("内容格式不正确，请重新填写")  # pragma: no cover - the schema allows no other type


def _clean_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise _Invalid("请填写数字，例如 3 或 2.5")
    if isinstance(value, int | float):
        number: int | float = value
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
        if not _NUMBER_RE.match(text):
            raise _Invalid("请填写数字，例如 3 或 2.5")
        number = float(text) if "." in text else int(text)
    else:
        raise _Invalid("请填写数字，例如 3 或 2.5")
    if (isinstance(number, float) and not math.isfinite(number)) or abs(number) >= NUMBER_LIMIT:
        raise _Invalid("数字太大，请核对")
    return number


def _clean_date(text: str) -> str:
    match = _DATE_RE.match(text)
    if not match:
        raise _Invalid("日期格式应为 年-月-日，例如 2026-11-23")
    year, month, day = (int(part) for part in match.groups())
    try:
        date = dt.date(year, month, day)
    except ValueError as exc:
        raise _Invalid(f"没有{year}年{month}月{day}日这一天，请核对") from exc
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Invalid(f"年份应在{MIN_YEAR}年到{MAX_YEAR}年之间，请核对")
    return date.isoformat()


def _clean_id_number(text: str) -> str:
    number = text.replace(" ", "").upper()
    if len(number) != 18:
        raise _Invalid(f"身份证号应为18位，您填写了{len(number)}位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise _Invalid("身份证号只能是数字，最后一位可以是X")
    # A wrong check character usually means a mistyped digit anywhere, not only at the end.
    if ric.calc_check_digit(number) != number[17]:
        raise _Invalid("身份证号校验位不正确，请逐位核对，特别是最后一位")
    try:
        return validate_id_number(number)
    except DomainError as exc:  # the birth date inside the number
        raise _Invalid(exc.message) from exc


def _clean_uscc(text: str) -> str:
    code = text.replace(" ", "").upper()
    if len(code) != 18:
        raise _Invalid(f"统一社会信用代码应为18位，您填写了{len(code)}位")
    try:
        return validate_uscc(code)
    except DomainError as exc:
        raise _Invalid("统一社会信用代码校验不通过，请对照营业执照逐位核对") from exc


def _clean_phone(text: str) -> str:
    number = re.sub(r"[\s()（）]", "", text)
    if number.startswith("+86"):
        number = number[3:]
    mobile = number.replace("-", "")
    if _MOBILE_RE.match(mobile):
        return mobile
    if _LANDLINE_RE.match(number):
        return number
    raise _Invalid("请填写11位手机号，或带区号的固定电话，例如 0539-1234567")


# --- parsing an HTML POST ----------------------------------------------------------------------------------


def form_from_post(*, fields: Fields, post: QueryDict) -> dict[str, Any]:
    """Read the inputs of ``cases/_form_fields.html``: ``form.<key>``, ``form.<group>.<i>.<sub>`` and, for a
    file field, every ``form.<key>`` value (upload ids). Empty inputs are left out and a group row whose
    every input is empty is dropped, so the spare empty row the page offers costs nothing. Values stay
    strings (ids become ints) — ``form_validate`` does the cleaning."""
    return _parse(fields, post, FORM_PREFIX)


def _parse(fields: Fields, post: QueryDict, prefix: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for spec in fields:
        name = f"{prefix}.{spec['key']}"
        if spec["type"] == "group":
            rows = []
            for index in _row_indexes(post, name):
                row = _parse(spec.get("fields", []), post, f"{name}.{index}")
                if row:
                    rows.append(row)
            if rows:
                data[spec["key"]] = rows
        elif spec["type"] == "file":
            ids = [int(v) if v.strip().isdigit() else v for v in post.getlist(name) if v.strip()]
            if ids:
                data[spec["key"]] = ids
        else:
            value = post.get(name, "")
            if isinstance(value, str) and value.strip():
                data[spec["key"]] = value
    return data


def _row_indexes(post: QueryDict, name: str) -> list[int]:
    start = name + "."
    indexes = set()
    for key in post:
        if key.startswith(start):
            match = _ROW_INDEX_RE.match(key[len(start) :])
            if match:
                indexes.add(int(match.group(1)))
    return sorted(indexes)


# --- display -----------------------------------------------------------------------------------------------


def form_display(*, fields: Fields, data: dict[str, Any]) -> list[dict[str, Any]]:
    """What a page shows of a submitted form, field by field, in form order.

    Each entry: ``key``, ``label``, ``type``, ``value`` (text to show; “未填写” when empty), ``empty``,
    ``masked`` (the value is a 脱敏 form: 身份证号 and 电话), ``rows`` (for a group: one list of such
    entries per row) and ``uploads`` (for a file field: the upload ids). A region shows its full name
    (山东省临沂市兰山区); all region names come from one query.
    """
    names = _region_names(_region_codes(fields, data))
    return _display(fields, data, names)


def _display(fields: Fields, data: Mapping[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    entries = []
    for spec in fields:
        kind = spec["type"]
        value = data.get(spec["key"])
        entry: dict[str, Any] = {
            "key": spec["key"],
            "label": spec["label"],
            "type": kind,
            "value": EMPTY_DISPLAY,
            "empty": _is_empty(value),
            "masked": False,
            "rows": [],
            "uploads": [],
        }
        if entry["empty"]:
            entries.append(entry)
            continue
        if kind == "group" and isinstance(value, list):
            entry["rows"] = [_display(spec.get("fields", []), row, names) for row in value if isinstance(row, Mapping)]
            entry["value"] = f"共{len(entry['rows'])}项"
        elif kind == "file" and isinstance(value, list):
            entry["uploads"] = list(value)
            entry["value"] = f"共{len(value)}个文件"
        elif kind == "id_number":
            entry["value"], entry["masked"] = mask_id_number(str(value)), True
        elif kind == "phone":
            entry["value"], entry["masked"] = mask_phone(str(value)), True
        elif kind == "region":
            entry["value"] = names.get(str(value), str(value))
        else:
            entry["value"] = str(value)
        entries.append(entry)
    return entries


def _region_codes(fields: Fields, data: Mapping[str, Any]) -> set[str]:
    """Every well-formed region code in ``data`` (inside groups too), as ``form_validate`` will read it."""
    codes: set[str] = set()
    for spec in fields:
        value = data.get(spec["key"])
        if spec["type"] == "region" and isinstance(value, str):
            code = unicodedata.normalize("NFKC", value).strip()
            if _REGION_RE.match(code):
                codes.add(code)
        elif spec["type"] == "group" and isinstance(value, list):
            for row in value:
                if isinstance(row, Mapping):
                    codes |= _region_codes(spec.get("fields", []), row)
    return codes


def _existing_regions(codes: set[str]) -> set[str]:
    if not codes:
        return set()
    return set(Region.objects.filter(code__in=codes).values_list("code", flat=True))


def _region_names(codes: Iterable[str]) -> dict[str, str]:
    """``{"371302": "山东省临沂市兰山区"}``: each region and its ancestors, in one query."""
    if not codes:
        return {}
    # A code's ancestors are (almost always) its prefixes padded with zeros; the stored path decides which
    # of those found are shown, so an irregular code just shows fewer levels.
    wanted = set(codes)
    for code in codes:
        wanted |= {code[:2] + "0000", code[:4] + "00", code[:6]}
        if len(code) == 12:
            wanted.add(code[:9])
    rows = Region.objects.filter(code__in=wanted).values_list("code", "name", "path")
    by_code = {code: (name, path) for code, name, path in rows}
    names = {}
    for code in codes:
        if code not in by_code:
            continue
        _, path = by_code[code]
        chain = [by_code[c][0] for c in path.strip("/").split("/") if c in by_code]
        names[code] = "".join(chain)
    return names
