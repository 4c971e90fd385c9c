"""Open311 GeoReport v2 at ``/open311/v2/`` (http://wiki.open311.org/GeoReport_v2), JSON and XML.

So that third-party 311 apps can file and track 诉求:

- ``discovery.{json,xml}``; ``services.{json,xml}`` — the leaves of the 诉求 classification tree, their
  ``service_code`` is the category code; ``services/{code}.{json,xml}`` — the leaf's attributes;
- ``requests.{json,xml}`` POST (form fields ``service_code``, ``lat``/``long`` or ``address_string``,
  ``description``, ``email``, ``first_name``, ``last_name``, ``phone``, ``attribute[code]``, optional
  ``jurisdiction_id`` = a region code and ``api_key`` = a platform API token) and GET (filters
  ``service_request_id``, ``service_code``, ``start_date``, ``end_date``, ``status``);
- ``requests/{id}.{json,xml}`` and ``tokens/{token}.{json,xml}``.

Privacy: GET lists only tickets that were filed through this interface (whoever files here publishes
the description, as GeoReport intends), never a 12345 call, a web form or a window visit; names, phone
numbers and e-mail addresses are never returned. Each ticket is created by ``services.ticket_create``
with ``source="open311"`` and goes through the same dispatch and handling as any other.

Without ``jurisdiction_id`` a request goes to the root of the region tree (the platform's top region).
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from typing import Any

from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from yiwang.accounts.services import api_token_authenticate
from yiwang.core.errors import DomainError
from yiwang.core.ratelimit import attempt_allowed, client_address
from yiwang.hotline import services
from yiwang.hotline.choices import DONE_STATES, TicketSource, TicketType
from yiwang.hotline.models import Category, Ticket
from yiwang.regions.models import Region

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-03-01T00:00:00+08:00"
MAX_ROWS = 1000
DEFAULT_DAYS = 90
POSTS_PER_HOUR = 20  # per client address, for requests without an api_key
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"


# --- rendering -------------------------------------------------------------------------------------------


def _xml_value(parent: ET.Element, tag: str, value: Any, item_tags: dict[str, str]) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(element, key, inner, item_tags)
    elif isinstance(value, list):
        for inner in value:
            _xml_value(element, item_tags.get(tag, "item"), inner, item_tags)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def render(
    data: Any, fmt: str, *, root: str, item: str, status: int = 200, item_tags: dict[str, str] | None = None
) -> HttpResponse:
    """JSON as is; XML with ``<root><item>…</item></root>`` for a list (or ``<root>…</root>`` for a dict)."""
    if fmt == "json":
        return HttpResponse(json.dumps(data, ensure_ascii=False), status=status, content_type=JSON_TYPE)
    tags = {"formats": "format", "endpoints": "endpoint", "attributes": "attribute", "values": "value"}
    tags.update(item_tags or {})
    element = ET.Element(root)
    if isinstance(data, list):
        for row in data:
            node = ET.SubElement(element, item)
            for key, value in row.items():
                _xml_value(node, key, value, tags)
    else:
        for key, value in data.items():
            _xml_value(element, key, value, tags)
    body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")
    return HttpResponse(body.encode("utf-8"), status=status, content_type=XML_TYPE)


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return render([{"code": status, "description": description}], fmt, root="errors", item="error", status=status)


def _w3(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _check_format(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Http404
    return fmt


# --- discovery and services ------------------------------------------------------------------------------


@require_GET
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    fmt = _check_format(fmt)
    data = {
        "changeset": CHANGESET,
        "contact": "12345政务服务便民热线",
        "key_service": "api_key 可选：部门系统或合作应用可向平台管理员申请接口令牌（yiwang token create）",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(data, fmt, root="discovery", item="endpoint")


def _leaves() -> Any:
    children = Category.objects.filter(parent_id=OuterRef("pk"), is_active=True)
    return (
        Category.objects.filter(is_active=True)
        .annotate(has_children=Exists(children))
        .filter(has_children=False, parent__isnull=False)
        .select_related("parent")
        .order_by("position", "code")
    )


@require_GET
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    fmt = _check_format(fmt)
    rows = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": c.description or f"{c.parent.name if c.parent else ''}：{c.name}",
            "metadata": bool(c.attributes),
            "type": "realtime",
            "keywords": c.keywords,
            "group": c.parent.name if c.parent else "",
        }
        for c in _leaves()
    ]
    return render(rows, fmt, root="services", item="service")


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    fmt = _check_format(fmt)
    category = _leaves().filter(code=code).first()
    if category is None:
        return error(fmt, 404, f"service_code {code} 不存在")
    attributes = [
        {
            "variable": True,
            "code": a.get("code", ""),
            "datatype": a.get("datatype", "string"),
            "required": bool(a.get("required")),
            "datatype_description": a.get("datatype_description", ""),
            "order": position,
            "description": a.get("description", ""),
            "values": [{"key": v.get("key", ""), "name": v.get("name", "")} for v in a.get("values") or []],
        }
        for position, a in enumerate(category.attributes or [], start=1)
    ]
    return render(
        {"service_code": category.code, "attributes": attributes}, fmt, root="service_definition", item="attribute"
    )


# --- requests --------------------------------------------------------------------------------------------


def _status(ticket: Ticket) -> str:
    return "closed" if ticket.state in DONE_STATES else "open"


def request_out(ticket: Ticket, updated: dt.datetime | None = None) -> dict[str, Any]:
    return {
        "service_request_id": ticket.number,
        "status": _status(ticket),
        "status_notes": ticket.reply if ticket.state in DONE_STATES else ticket.get_state_display(),
        "service_name": ticket.category.name if ticket.category else "",
        "service_code": ticket.category.code if ticket.category else "",
        "description": ticket.content,
        "agency_responsible": ticket.department.name if ticket.department else "",
        "service_notice": "",
        "requested_datetime": _w3(ticket.registered_at),
        "updated_datetime": _w3(updated or ticket.registered_at),
        "expected_datetime": _w3(ticket.due_at),
        "address": ticket.address,
        "address_id": "",
        "zipcode": "",
        "lat": float(ticket.lat) if ticket.lat is not None else None,
        "long": float(ticket.long) if ticket.long is not None else None,
        "media_url": "",
    }


def _public() -> Any:
    from django.db.models import Max

    return (
        Ticket.objects.filter(source=TicketSource.OPEN311)
        .select_related("category", "department")
        .annotate(updated=Max("events__at"))
    )


def _rate_limited(request: HttpRequest) -> bool:
    key = f"hotline:open311:post:{client_address(request)}"
    return not attempt_allowed(key, limit=POSTS_PER_HOUR, window_seconds=3600)


class BadRequest(Exception):
    """A query the spec's rules refuse (answered with HTTP 400 and the message)."""


def _parse_w3(value: str, name: str) -> dt.datetime:
    try:
        moment = parse_datetime(value.strip().replace(" ", "+"))  # a "+" in a query string arrives as a space
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadRequest(f"{name} 应为带时区的 W3C 时间，如 2026-03-01T00:00:00Z")
    return moment


@csrf_exempt  # a third-party client posts a form without a session; nothing here rides on a cookie
@require_http_methods(["GET", "POST"])
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    fmt = _check_format(fmt)
    if request.method == "POST":
        return _request_create(request, fmt)
    try:
        rows = _filtered(request)
    except BadRequest as exc:
        return error(fmt, 400, str(exc))
    data = [request_out(t, t.updated) for t in rows.order_by("-registered_at", "-id")[:MAX_ROWS]]
    return render(data, fmt, root="service_requests", item="request")


def _filtered(request: HttpRequest) -> Any:
    query = request.GET
    rows = _public()
    if query.get("service_request_id"):
        ids = [part.strip() for part in query["service_request_id"].split(",") if part.strip()]
        rows = rows.filter(number__in=ids[:MAX_ROWS])
    else:
        if query.get("service_code"):
            rows = rows.filter(category__code__in=[c.strip() for c in query["service_code"].split(",")])
        end = _parse_w3(query["end_date"], "end_date") if query.get("end_date") else timezone.now()
        start = (
            _parse_w3(query["start_date"], "start_date")
            if query.get("start_date")
            else end - dt.timedelta(days=DEFAULT_DAYS)
        )
        if end - start > dt.timedelta(days=DEFAULT_DAYS):
            raise BadRequest("start_date 与 end_date 相差不能超过90天")
        rows = rows.filter(registered_at__gte=start, registered_at__lte=end)
        if query.get("status"):
            wanted = {s.strip() for s in query["status"].split(",")}
            if not wanted <= {"open", "closed"}:
                raise BadRequest("status 只能为 open 或 closed")
            if wanted == {"open"}:
                rows = rows.exclude(state__in=DONE_STATES)
            elif wanted == {"closed"}:
                rows = rows.filter(state__in=DONE_STATES)
    return rows


def _request_create(request: HttpRequest, fmt: str) -> HttpResponse:
    form = request.POST
    actor = None
    if form.get("api_key"):
        actor = api_token_authenticate(form["api_key"])
        if actor is None:
            return error(fmt, 403, "api_key 无效或已过期")
    elif _rate_limited(request):
        return error(fmt, 429, "提交过于频繁，请稍后再试")
    code = (form.get("service_code") or "").strip()
    if not code:
        return error(fmt, 400, "缺少 service_code")
    category = _leaves().filter(code=code).first()
    if category is None:
        return error(fmt, 404, f"service_code {code} 不存在")
    address = (form.get("address_string") or form.get("address_id") or "").strip()
    if not address and not (form.get("lat") and form.get("long")):
        return error(fmt, 400, "须提供 lat 与 long，或 address_string")
    attributes: dict[str, str] = {}
    for attribute in category.attributes or []:
        value = (form.get(f"attribute[{attribute.get('code')}]") or "").strip()
        allowed = {v.get("key") for v in attribute.get("values") or []}
        if attribute.get("required") and not value:
            return error(fmt, 400, f"缺少 attribute[{attribute.get('code')}]（{attribute.get('description', '')}）")
        if value and allowed and value not in allowed:
            return error(fmt, 400, f"attribute[{attribute.get('code')}] 取值不在列表中")
        if value:
            attributes[str(attribute.get("code"))] = value[:200]
    jurisdiction = (form.get("jurisdiction_id") or "").strip()
    region = Region.objects.filter(code=jurisdiction).first() if jurisdiction else None
    if jurisdiction and region is None:
        return error(fmt, 404, f"jurisdiction_id {jurisdiction} 不存在")
    region = region or Region.objects.filter(parent__isnull=True).order_by("path").first()
    if region is None:
        return error(fmt, 503, "平台尚未配置行政区划")
    description = (form.get("description") or "").strip()
    name = f"{(form.get('last_name') or '').strip()}{(form.get('first_name') or '').strip()}"
    try:
        ticket = services.ticket_create(
            actor=actor,
            source=TicketSource.OPEN311,
            ticket_type=category.default_type or TicketType.REPORT,
            category_id=category.pk,
            title=(description.splitlines()[0] if description else category.name)[:30] or category.name,
            content=description,
            region=region,
            address=address,
            lat=form.get("lat") or None,
            long=form.get("long") or None,
            attributes=attributes,
            caller_name=name,
            caller_phone=form.get("phone") or "",
            caller_email=form.get("email") or "",
        )
    except DomainError as exc:
        field = exc.errors[0].field if exc.errors else ""
        names = {"content": "description", "caller_phone": "phone", "caller_name": "first_name/last_name"}
        label = names.get(field, field)
        return error(fmt, 400, f"{label}：{exc.message}" if label else exc.message)
    data = [
        {
            "service_request_id": ticket.number,
            "token": ticket.open311_token,
            "service_notice": f"已受理，工单编号 {ticket.number}，办理期限 {_w3(ticket.due_at)}",
            "account_id": "",
        }
    ]
    return render(data, fmt, root="service_requests", item="request", status=201)


@require_GET
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    fmt = _check_format(fmt)
    ticket = _public().filter(number=request_id).first()
    if ticket is None:
        return error(fmt, 404, f"service_request_id {request_id} 不存在")
    return render([request_out(ticket, ticket.updated)], fmt, root="service_requests", item="request")


@require_GET
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    fmt = _check_format(fmt)
    ticket = (
        Ticket.objects.filter(source=TicketSource.OPEN311, open311_token=token).only("number").first()
        if token
        else None
    )
    if ticket is None:
        return error(fmt, 404, "token 不存在")
    return render([{"service_request_id": ticket.number, "token": token}], fmt, root="service_requests", item="request")
