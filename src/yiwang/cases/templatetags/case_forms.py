"""``{% case_form_fields fields values errors %}``: the inputs of an application form (申请表).

The inputs are named so that ``cases.form_data.form_from_post`` reads them back: ``form.<key>``,
``form.<group>.<i>.<key>``, and for a file field one ``form.<key>`` checkbox per attached upload id (ticked;
untick to remove) plus ``<input type="file" name="upload.<key>">`` that the page turns into upload ids.
``errors`` maps a field path (``form.phone``, ``form.members.1.relation``) to its message, as in the
``FieldError`` list of ``form_validate``. No JavaScript: a group offers one spare empty row, and after
saving the page offers the next.

The tag builds a plain description of every input here, so the template only prints it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import template
from django.db.models import Q

from yiwang.cases.form_data import DEFAULT_MAX_LENGTH, FORM_PREFIX
from yiwang.regions.choices import RegionLevel
from yiwang.regions.models import Region

register = template.Library()

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_LENGTH = {"id_number": 22, "uscc": 22, "phone": 20, "number": 20, "date": 20, "region": 12}


@register.inclusion_tag("cases/_form_fields.html")
def case_form_fields(
    fields: list[dict[str, Any]],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    uploads: Mapping[int, str] | None = None,
    summary: bool = True,
) -> dict[str, Any]:
    """Render ``fields`` with ``values`` (cleaned data or ``form_from_post`` output) and ``errors``.

    ``uploads`` optionally names attached files (``{upload_id: "营业执照.pdf"}``). ``summary`` lists every
    error at the top with a link to its input (turn it off when the page lists them itself).
    """
    builder = _Builder(fields, values or {}, errors or {}, uploads or {})
    widgets = [builder.widget(spec, builder.values.get(spec["key"]), path=FORM_PREFIX, top=True) for spec in fields]
    problems = [
        {"message": message, "href": f"#{_dom_id(path)}" if path in builder.paths else ""}
        for path, message in builder.errors.items()
    ]
    return {"widgets": widgets, "problems": problems if summary else []}


def _dom_id(path: str) -> str:
    return path.replace(".", "-")


class _Builder:
    def __init__(
        self,
        fields: list[dict[str, Any]],
        values: Mapping[str, Any],
        errors: Mapping[str, str],
        uploads: Mapping[int, str],
    ) -> None:
        self.values, self.errors, self.uploads = values, errors, uploads
        self.paths: set[str] = set()  # every path that has an element with id _dom_id(path)
        self._regions: list[tuple[str, str]] | None = None
        self._region_values = _region_values(fields, values)

    def widget(self, spec: dict[str, Any], value: Any, *, path: str, top: bool, row_required: bool = True) -> dict:
        kind = spec["type"]
        path = f"{path}.{spec['key']}"
        self.paths.add(path)
        dom_id = _dom_id(path)
        w: dict[str, Any] = {
            "kind": "input",
            "type": kind,
            "id": dom_id,
            "name": path,
            "label": spec["label"],
            "required": bool(spec.get("required")),
            "aria_required": bool(spec.get("required")) and row_required,
            "help": spec.get("help", ""),
            "help_id": f"{dom_id}-help",
            "error": self.errors.get(path, ""),
            "error_id": f"{dom_id}-error",
            "value": "" if value is None or isinstance(value, list | dict) else str(value),
            "attrs": [],
        }
        if kind == "group":
            self._group(w, spec, value, path=path)
        elif kind == "file":
            self._file(w, spec, value, path=path)
        elif kind in ("select", "region"):
            w["kind"] = "select"
            choices = [(o, o) for o in spec.get("options", [])] if kind == "select" else self.region_choices()
            w["options"] = [{"value": v, "label": label, "selected": v == w["value"]} for v, label in choices]
        elif kind == "address":
            w["kind"] = "textarea"
            w["attrs"] = [("maxlength", spec.get("max_length") or DEFAULT_MAX_LENGTH["address"]), ("rows", 3)]
            if top:
                w["attrs"].append(("autocomplete", "street-address"))
        else:
            w["input_type"], w["attrs"] = _input_attrs(spec, w["value"], top=top)
        w["describedby"] = " ".join(
            ident
            for ident, present in ((w["help_id"], w["help"] or w.get("note")), (w["error_id"], w["error"]))
            if present
        )
        return w

    def _group(self, w: dict[str, Any], spec: dict[str, Any], value: Any, *, path: str) -> None:
        rows = [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []
        min_items, max_items = spec.get("min_items", 0), spec.get("max_items", 20)
        mandatory = max(min_items, 1 if spec.get("required") else 0)
        shown = max(len(rows), min(max(min_items, len(rows), 1) + 1, max_items))
        w["kind"] = "group"
        w["required"] = mandatory > 0
        if shown < max_items:
            w["note"] = f"最多可填写{max_items}项；不需要的项留空即可。需要填写更多项时，请先保存，页面会再增加一行。"
        else:
            w["note"] = f"最多可填写{max_items}项；不需要的项留空即可。"
        w["rows"] = []
        for index in range(shown):
            row = rows[index] if index < len(rows) else {}
            required = index < mandatory
            w["rows"].append(
                {
                    "number": index + 1,
                    "optional": not required and not any(v not in (None, "", []) for v in row.values()),
                    "widgets": [
                        self.widget(sub, row.get(sub["key"]), path=f"{path}.{index}", top=False, row_required=required)
                        for sub in spec.get("fields", [])
                    ],
                }
            )

    def _file(self, w: dict[str, Any], spec: dict[str, Any], value: Any, *, path: str) -> None:
        ids = [v for v in value if isinstance(v, int) and not isinstance(v, bool)] if isinstance(value, list) else []
        max_items = spec.get("max_items", 20)
        w["kind"] = "file"
        w["upload_name"] = "upload" + path[len(FORM_PREFIX) :]
        w["multiple"] = max_items > 1
        w["attached"] = [
            {"id": upload_id, "dom_id": f"{w['id']}-keep-{upload_id}", "name": self.uploads.get(upload_id, "")}
            for upload_id in ids
        ]
        note = "可上传照片或扫描件，每个文件请清晰完整。" if max_items > 1 else "可上传1个照片或扫描件。"
        if max_items > 1:
            note += f"最多{max_items}个文件。"
        if ids:
            note += "已上传的文件如需删除，请取消勾选后保存。"
        w["note"] = note

    def region_choices(self) -> list[tuple[str, str]]:
        """区县 and 乡镇(街道) in tree order (as on the registration page), plus any region already chosen."""
        if self._regions is None:
            query = Q(level__in=[RegionLevel.COUNTY, RegionLevel.TOWN]) | Q(code__in=self._region_values)
            rows = Region.objects.filter(query).select_related("parent").order_by("path")
            self._regions = [(r.code, _region_label(r)) for r in rows]
        return self._regions


def _region_label(region: Region) -> str:
    """A town (or village) is shown with the region above it: ``兰山区 · 兰山街道``."""
    if region.parent is not None and region.level >= RegionLevel.TOWN:
        return f"{region.parent.name} · {region.name}"
    return region.name


def _input_attrs(spec: dict[str, Any], value: str, *, top: bool) -> tuple[str, list[tuple[str, Any]]]:
    kind = spec["type"]
    max_length = _MAX_LENGTH.get(kind) or spec.get("max_length") or DEFAULT_MAX_LENGTH["text"]
    attrs: list[tuple[str, Any]] = [("maxlength", max_length)]
    input_type = "text"
    if kind == "number":
        # decimal, not numeric: 面积、金额 need the decimal point on a phone's keypad.
        attrs.append(("inputmode", "decimal"))
    elif kind == "date":
        # What was typed in another shape stays visible (as text) next to its error instead of vanishing.
        input_type = "date" if not value or _ISO_DATE.match(value) else "text"
        if input_type == "date":
            attrs = []  # maxlength does not apply to a date input
    elif kind == "phone":
        input_type = "tel"
        attrs += [("inputmode", "tel"), ("autocomplete", "tel" if top else "off")]
    elif kind in ("id_number", "uscc"):
        attrs += [("autocomplete", "off"), ("autocapitalize", "characters"), ("spellcheck", "false")]
    elif kind == "text" and top:
        if "姓名" in spec["label"]:
            attrs.append(("autocomplete", "name"))
        elif spec["label"] in ("单位名称", "企业名称", "机构名称"):
            attrs.append(("autocomplete", "organization"))
    return input_type, attrs


def _region_values(fields: list[dict[str, Any]], values: Mapping[str, Any]) -> set[str]:
    codes: set[str] = set()
    for spec in fields:
        value = values.get(spec["key"])
        if spec["type"] == "region" and isinstance(value, str) and value.strip().isdigit():
            codes.add(value.strip())
        elif spec["type"] == "group" and isinstance(value, list):
            for row in value:
                if isinstance(row, Mapping):
                    codes |= _region_values(spec.get("fields", []), row)
    return codes
