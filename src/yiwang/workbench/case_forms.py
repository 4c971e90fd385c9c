"""Reading the forms of the staff case pages into the keyword arguments of one service each.

Shape only: a number is a number, a date a date, a row id an id. The services enforce every rule and word
their own refusals. A shape problem is raised as a ``DomainError(VALIDATION)`` on the input's path, exactly
like a refusal from a service, so the page shows both the same way: the message at the top of the form and
each field error next to its input.

Input names follow the service's field paths (``reason``, ``paper.<材料编码>`` …), so an error a service
raises on ``paper.premises`` lands next to the inputs of that material without any translation table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, QueryDict

from yiwang.core.errors import DomainError, ErrorCode, FieldError
from yiwang.files.models import Upload
from yiwang.files.services import upload_create

MAX_ID = 2**63  # larger numbers overflow the database's integer columns
FREE_SUPPLEMENT_ROWS = 3  # 一次性告知: rows for problems that are not a listed material
SCAN_PREFIX = "scan."  # <input type="file" name="scan.<材料编码>"> — scanned paper materials
KEEP_PREFIX = "keep."  # <input type="checkbox" name="keep.<材料编码>" value="<upload id>"> — scans already stored
UPLOAD_PREFIX = "upload."  # the file inputs of ``{% case_form_fields %}`` (``upload.<字段>``)


def text(post: QueryDict, name: str) -> str:
    return (post.get(name) or "").strip()


def checked(post: QueryDict, name: str) -> bool:
    return post.get(name) in ("1", "on", "true", "yes")


def integer(post: QueryDict, name: str, *, label: str, required: bool = True) -> int | None:
    """A whole number typed into ``name`` (full-width digits accepted); blank is None unless required."""
    raw = text(post, name).translate(_FULL_WIDTH_DIGITS)
    if not raw:
        if required:
            raise DomainError(ErrorCode.VALIDATION, f"请填写{label}", field=name)
        return None
    if not raw.lstrip("-").isdigit() or len(raw) > 9:
        raise DomainError(ErrorCode.VALIDATION, f"{label}应为整数", field=name)
    return int(raw)


def row_id(post: QueryDict, name: str, *, what: str) -> int:
    """The id of the row a form acts on (a step, a procedure, an urge), from a hidden input or a choice."""
    raw = text(post, name)
    if not raw.isdigit() or not 0 < int(raw) < MAX_ID:
        raise DomainError(ErrorCode.VALIDATION, f"请选择{what}", field=name)
    return int(raw)


def date(post: QueryDict, name: str, *, label: str) -> dt.date | None:
    """A date from ``<input type="date">`` (YYYY-MM-DD); blank is None."""
    raw = text(post, name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise DomainError(ErrorCode.VALIDATION, f"{label}格式应为 年-月-日，例如 2026-03-09", field=name) from exc


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９－", "0123456789-")


# --- paper materials received at the window -----------------------------------------------------------------


def paper_counts(post: QueryDict, codes: Iterable[str]) -> dict[str, list[int]]:
    """``{材料编码: [原件份数, 复印件份数]}`` from ``paper.<code>.originals`` / ``paper.<code>.copies``.

    Blank counts as 0; a material with nothing received is left out (the service ignores zero counts and
    never lowers a count recorded before)."""
    counts: dict[str, list[int]] = {}
    errors: list[FieldError] = []
    for code in codes:
        pair = []
        for part in ("originals", "copies"):
            raw = text(post, f"paper.{code}.{part}").translate(_FULL_WIDTH_DIGITS) or "0"
            pair.append(int(raw) if raw.isdigit() and len(raw) <= 3 else -1)
        if -1 in pair:
            errors.append(FieldError(field=f"paper.{code}", message="收取份数应为0至99的原件份数和复印件份数"))
        elif pair[0] or pair[1]:
            counts[code] = pair
    if errors:
        raise DomainError(ErrorCode.VALIDATION, "纸质材料收取份数有误", errors=errors)
    return counts


# --- 一次性告知 ----------------------------------------------------------------------------------------------


@dataclass
class SupplementItems:
    """The items of a 补正告知 and, for each, the input its errors belong next to."""

    items: list[dict[str, str]] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)  # index → {service field: input name}

    def translate(self, exc: DomainError) -> DomainError:
        """Move the service's ``items.<i>.<part>`` errors onto the inputs of the row they concern."""
        errors = []
        for error in exc.errors:
            parts = error.field.split(".")
            name = error.field
            if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit() and int(parts[1]) < len(self.inputs):
                name = self.inputs[int(parts[1])].get(parts[2], error.field)
            errors.append(FieldError(field=name, message=error.message, code=error.code))
        return DomainError(exc.code, exc.message, errors=errors)


def supplement_items(post: QueryDict, materials: Sequence[tuple[str, str]]) -> SupplementItems:
    """Ticked materials (``need.<code>`` + ``problem.<code>``) then the free rows (``extra.<i>.name`` /
    ``extra.<i>.problem``) that have any text, in page order."""
    result = SupplementItems()
    for code, _name in materials:
        if checked(post, f"need.{code}"):
            result.items.append({"code": code, "problem": text(post, f"problem.{code}")})
            result.inputs.append({"code": f"need.{code}", "problem": f"problem.{code}"})
    for index in range(FREE_SUPPLEMENT_ROWS):
        name, problem = text(post, f"extra.{index}.name"), text(post, f"extra.{index}.problem")
        if name or problem:
            result.items.append({"name": name, "problem": problem})
            result.inputs.append({"name": f"extra.{index}.name", "problem": f"extra.{index}.problem"})
    return result


# --- uploads: scans of paper materials and the file fields of the application form -------------------------


def _store(request: HttpRequest, files: Sequence[UploadedFile], *, field_name: str, label: str) -> list[int]:
    ids = []
    for file in files:
        try:
            ids.append(upload_create(actor=request.user, name=file.name or "扫描件", data=file).pk)
        except DomainError as exc:
            raise DomainError(
                ErrorCode.VALIDATION,
                f"{label}：{exc.message}",
                errors=[FieldError(field_name, f"{label}：{exc.message}")],
            ) from exc
    return ids


def kept_uploads(request: HttpRequest, codes: Iterable[str]) -> dict[str, list[int]]:
    """Scans stored by an earlier attempt of the same form and still ticked (``keep.<code>``), limited to
    the acting user's own uploads: a re-shown form loses nothing, and cannot point at another's file."""
    wanted = {
        code: [int(v) for v in request.POST.getlist(KEEP_PREFIX + code) if v.isdigit() and 0 < int(v) < MAX_ID]
        for code in codes
    }
    ids = {i for values in wanted.values() for i in values}
    owned = set(Upload.objects.filter(pk__in=ids, uploader_id=request.user.pk).values_list("pk", flat=True))
    return {code: [i for i in values if i in owned] for code, values in wanted.items() if values}


def scanned_uploads(request: HttpRequest, materials: Sequence[tuple[str, str]]) -> dict[str, list[int]]:
    """``{材料编码: [upload id, …]}``: the scans kept from before plus the files chosen now (stored first)."""
    result = kept_uploads(request, [code for code, _ in materials])
    for code, name in materials:
        files = request.FILES.getlist(SCAN_PREFIX + code)
        if files:
            new = _store(request, files, field_name=f"materials.{code}", label=name)
            result[code] = list(dict.fromkeys([*result.get(code, []), *new]))
    return result


def form_file_uploads(request: HttpRequest, fields: Sequence[Mapping[str, Any]], data: dict[str, Any]) -> None:
    """Store the files chosen in the form's top-level file fields (``upload.<key>``) and add their ids to
    ``data[key]`` beside the ids kept from before (``form.<key>`` checkboxes)."""
    for spec in fields:
        if spec.get("type") != "file":
            continue
        files = request.FILES.getlist(UPLOAD_PREFIX + spec["key"])
        if files:
            new = _store(request, files, field_name=f"form.{spec['key']}", label=spec["label"])
            data[spec["key"]] = [*data.get(spec["key"], []), *new]


def field_errors(exc: DomainError) -> dict[str, str]:
    """``{input name: message}`` for the page (the first message of each input)."""
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(error.field, error.message)
    return errors
