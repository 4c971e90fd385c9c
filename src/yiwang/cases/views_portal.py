"""Citizen pages of cases (办件) in the portal: 在线申请 with a draft that saves itself, 我的办件, one case
with its actions (补正、撤回、出件方式、容缺后补), its notices as PDF, and the public 办件进度查询.

The pages only turn HTML forms into the arguments of ``cases.services`` and the services' refusals into
messages next to the inputs: every write is a service call (the API calls the same ones), every case is
read through ``cases.selectors`` scoped to the signed-in citizen, so another person's case answers 404
exactly like a case that does not exist.

Decisions worth knowing:

- The apply page renders an idempotency key in a hidden field. A double click, a reload of the POST or
  the browser's back button followed by another submit all carry the same key and land on the one case
  that key made (checked before any file is stored again, and again on the service's key conflict).
- Autosave (htmx, ``change delay:1s``) posts the whole form to ``apply_draft``; material files chosen
  since the last save are stored then, and their blocks come back out-of-band with the files ticked as
  kept, so the next save does not store them twice. Files of *form* fields (rare) are stored on
  “保存草稿” or on submit only. The draft revision travels in a hidden field: a page that loaded no draft
  sends revision 0, so it can never silently overwrite a draft another device created meanwhile.
- 办件进度查询 answers the same words for a wrong number and a wrong code, shows no personal data but a
  masked applicant name, and is limited per IP address with the cache (per process with the default
  local-memory cache; configure a shared cache when running several processes).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts.acting import acting_identity
from yiwang.accounts.identity_views import citizen_required
from yiwang.accounts.models import LegalPerson, NaturalPerson, User
from yiwang.accounts.selectors import authorisations_received
from yiwang.cases import selectors, services
from yiwang.cases.choices import (
    OPEN_STATES,
    TERMINAL_STATES,
    AcceptMode,
    CaseState,
    Channel,
    Decision,
    DeliveryMethod,
    EventAction,
    Light,
    MaterialStatus,
    StepState,
)
from yiwang.cases.deadlines import light_of
from yiwang.cases.exemptions import Exemption, exemption_find
from yiwang.cases.form_data import form_display, form_from_post
from yiwang.cases.models import ApplicationDraft, Case, CaseEvent, CaseMaterial, CaseStep
from yiwang.cases.notices import notice_pdf
from yiwang.catalog.choices import ItemState, Necessity
from yiwang.catalog.models import ItemVersion, ServiceItem
from yiwang.core.errors import DomainError, ErrorCode, not_found
from yiwang.core.masking import mask_name
from yiwang.core.ratelimit import attempt_allowed, client_address
from yiwang.files.models import Upload
from yiwang.files.services import size_text, upload_create, upload_max_bytes
from yiwang.regions.choices import WindowKind
from yiwang.regions.models import Department, Window

MY_CASES_PER_PAGE = 20
PROGRESS_LIMIT = 10  # lookups per IP address …
PROGRESS_WINDOW_SECONDS = 600  # … in ten minutes
PROGRESS_LIMITED = "查询过于频繁，请10分钟后再试。"
PROGRESS_NOT_FOUND = "未查询到办件，请核对办件编号和查询码后重试。"
UPLOAD_ACCEPT = ".pdf,.jpg,.jpeg,.png,.ofd,application/pdf,image/jpeg,image/png"
EXEMPT_TEXT = "无需提交，由平台调取"
DRAFT_GONE = "这份申请已经提交，或草稿已被删除，本页未自动保存"
NECESSITY_LABELS = {Necessity.REQUIRED: "必要", Necessity.DEFERRABLE: "容缺后补", Necessity.OPTIONAL: "非必要"}

# What the applicant sees of the case's history (internal steps such as 分派 and 督办 are staff matters).
APPLICANT_EVENTS = frozenset(
    {
        EventAction.SUBMIT,
        EventAction.AUTO_DECIDE,
        EventAction.ACCEPT,
        EventAction.REJECT,
        EventAction.REQUEST_SUPPLEMENT,
        EventAction.SUPPLEMENT,
        EventAction.STEP_COMPLETE,
        EventAction.STEP_RETURN,
        EventAction.DECIDE,
        EventAction.DELIVERY_SET,
        EventAction.CLOSE,
        EventAction.WITHDRAW,
        EventAction.SPECIAL_START,
        EventAction.SPECIAL_END,
        EventAction.EXTEND,
        EventAction.DEFERRED_SUPPLY,
    }
)
# What anyone with the number and the 查询码 sees: step names and dates only.
PUBLIC_EVENTS = frozenset(
    {
        EventAction.SUBMIT,
        EventAction.ACCEPT,
        EventAction.REJECT,
        EventAction.REQUEST_SUPPLEMENT,
        EventAction.SUPPLEMENT,
        EventAction.STEP_COMPLETE,
        EventAction.DECIDE,
        EventAction.CLOSE,
        EventAction.WITHDRAW,
    }
)
LIGHT_TEXT = {
    Light.GREEN: ("✓", "正常"),
    Light.YELLOW: ("!", "即将到期"),
    Light.RED: ("✕", "已超期"),
}
DELIVERY_ANCHORS = {
    "delivery_method": "#delivery-electronic",
    "pickup_window_id": "#pickup-window",
    "address": "#delivery-address",
}


def _problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": exc}, status=exc.status)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


# --- errors of a page form ------------------------------------------------------------------------------


@dataclass
class PageErrors:
    """A service refusal laid out for a page: the message on top, form errors for ``{% case_form_fields %}``,
    material errors by material code and the other inputs' errors by input name."""

    message: str = ""
    form: dict[str, str] = field(default_factory=dict)
    materials: dict[str, str] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)

    def add(self, exc: DomainError) -> None:
        self.message = self.message or exc.message
        for error in exc.errors:
            self.put(error.field, error.message)

    def put(self, path: str, message: str) -> None:
        if path == "form" or path.startswith("form."):
            self.form.setdefault(path, message)
        elif path.startswith("materials."):
            self.materials.setdefault(path.split(".", 1)[1], message)
        else:
            self.other.setdefault(path, message)

    def __bool__(self) -> bool:
        return bool(self.message or self.form or self.materials or self.other)

    def summary(self, anchors: Mapping[str, str]) -> list[dict[str, str]]:
        """Every problem once, with a link to its input where the page has one."""
        rows = [{"message": m, "href": "#" + p.replace(".", "-")} for p, m in self.form.items()]
        rows += [{"message": m, "href": f"#file-{code}"} for code, m in self.materials.items()]
        rows += [{"message": m, "href": anchors.get(name, "")} for name, m in self.other.items()]
        return rows


# --- uploads ----------------------------------------------------------------------------------------------


def _ids(values: Iterable[str]) -> list[int]:
    return list(dict.fromkeys(int(v) for v in values if v.strip().isdigit()))


def _store_files(request: HttpRequest, name: str) -> tuple[list[int], str]:
    """Store every file sent under ``name``; the ids of those stored and the first refusal, if any."""
    stored: list[int] = []
    for upload in request.FILES.getlist(name):
        try:
            stored.append(upload_create(actor=request.user, name=upload.name or "", data=upload).pk)
        except DomainError as exc:
            return stored, f"“{upload.name}”未能上传：{exc.message}"
    return stored, ""


def _upload_names(user: User, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(Upload.objects.filter(pk__in=wanted, uploader=user).values_list("pk", "name"))


# --- the item and the applicant -------------------------------------------------------------------------


def _published(item_id: int) -> tuple[ServiceItem, ItemVersion]:
    item = (
        ServiceItem.objects.select_related(
            "current_version", "current_version__department", "department", "department__region"
        )
        .filter(pk=item_id, state=ItemState.PUBLISHED, current_version__isnull=False)
        .first()
    )
    if item is None or item.current_version is None:
        raise not_found("可申请的事项")
    return item, item.current_version


@dataclass
class Applicant:
    """Who an application is for: the acting identity (个人 / 企业) or a 委托人 (帮办代办)."""

    identity: str  # the draft key: person | enterprise:<id> | principal:<id>
    label: str
    enterprise_id: int | None = None
    principal_id: int | None = None
    principals: list[tuple[int, str]] = field(default_factory=list)  # 可代办的委托人 for this item
    person: NaturalPerson | None = None
    exemptions: dict[str, Exemption] | None = None  # 免提交 by material code, once looked up (``_exemptions``)


def _applicant(request: HttpRequest, item: ServiceItem, chosen: str) -> Applicant:
    user = _user(request)
    acting = acting_identity(request)
    person = NaturalPerson.objects.filter(user=user).first()
    if acting.is_enterprise:
        return Applicant(
            identity=services.draft_identity(enterprise_id=acting.enterprise_id),
            label=acting.enterprise_name,
            enterprise_id=acting.enterprise_id,
            person=person,
        )
    principals: dict[int, str] = {}
    for grant in authorisations_received(user=user):
        if grant.scope_all or item.code in (grant.item_codes or []):
            principals.setdefault(grant.principal_id, grant.principal.name)
    own = f"个人（{person.name}）" if person else "个人"
    applicant = Applicant(identity="person", label=own, principals=sorted(principals.items()), person=person)
    if chosen.isdigit() and int(chosen) in principals:
        applicant.principal_id = int(chosen)
        applicant.identity = services.draft_identity(principal_id=applicant.principal_id)
        applicant.label = f"代{principals[applicant.principal_id]}办理（帮办代办）"
    return applicant


def _pickup_windows(department: Department) -> list[Window]:
    """Windows where the result can be collected: the comprehensive windows of the department's region
    (and below), and the department's own 专窗."""
    return list(
        Window.objects.filter(
            Q(kind=WindowKind.COMPREHENSIVE) | Q(kind=WindowKind.DEDICATED, department=department),
            is_active=True,
            venue__is_active=True,
            venue__region__path__startswith=department.region.path,
        )
        .select_related("venue")
        .order_by("venue__region__path", "venue__name", "number")
    )


# --- the apply page ---------------------------------------------------------------------------------------


@dataclass
class Application:
    """What one apply form holds: the form values, the material upload ids and the refusals so far."""

    form: dict[str, Any]
    materials: dict[str, list[int]]
    errors: PageErrors = field(default_factory=PageErrors)
    new_materials: set[str] = field(default_factory=set)  # codes that received new files in this request


def _exemptions(version: ItemVersion, applicant: Applicant) -> dict[str, Exemption]:
    """免提交 for this applicant, exactly as ``case_submit`` will decide it: ``exemption_find`` for the same
    (person, enterprise) — the enterprise when acting for one, the 委托人 when applying for him, else the
    citizen. A licence material the applicant holds no valid licence for is an ordinary upload."""
    if applicant.exemptions is None:
        enterprise = LegalPerson.objects.filter(pk=applicant.enterprise_id).first() if applicant.enterprise_id else None
        person = applicant.person
        if applicant.principal_id is not None:
            person = NaturalPerson.objects.filter(pk=applicant.principal_id).first()
        applicant.exemptions = {
            m["code"]: found
            for m in version.content.get("materials") or []
            if (found := exemption_find(person=person, enterprise=enterprise, material=m)) is not None
        }
    return applicant.exemptions


def _material_specs(version: ItemVersion, applicant: Applicant) -> list[dict[str, Any]]:
    exemptions = _exemptions(version, applicant)
    specs = []
    for m in version.content.get("materials") or []:
        necessity = m.get("necessity", Necessity.REQUIRED)
        exemption = exemptions.get(m["code"])
        specs.append(
            {
                "code": m["code"],
                "name": m["name"],
                "necessity": necessity,
                "necessity_label": NECESSITY_LABELS.get(necessity, necessity),
                "exempt": exemption is not None,
                "exempt_note": exemption.note if exemption is not None else "",
                "explain": m.get("fill_explain", ""),
            }
        )
    return specs


def _read_application(
    request: HttpRequest, version: ItemVersion, applicant: Applicant, *, store_form_files: bool
) -> Application:
    """The posted form and materials; files chosen for materials are stored now (and for file fields of the
    form too when ``store_form_files``), so what was uploaded is kept even when the rest is refused."""
    fields = list(version.content.get("form") or [])
    data = form_from_post(fields=fields, post=request.POST)
    application = Application(form=data, materials={})
    if store_form_files:
        _store_form_files(request, fields, application)
    for spec in _material_specs(version, applicant):
        code = spec["code"]
        if spec["exempt"]:
            continue
        ids = _ids(request.POST.getlist(f"material.{code}"))
        stored, error = _store_files(request, f"file.{code}")
        if stored:
            application.new_materials.add(code)
        if error:
            application.errors.put(f"materials.{code}", error)
            application.new_materials.add(code)
        ids += [i for i in stored if i not in ids]
        if ids:
            application.materials[code] = ids
    return application


def _store_form_files(request: HttpRequest, fields: list[dict[str, Any]], application: Application) -> None:
    """``upload.<key>`` (a file field of the form) and ``upload.<group>.<i>.<key>`` (inside a group row)."""
    specs = {f["key"]: f for f in fields}
    for name in request.FILES:
        parts = name.split(".")
        spec = specs.get(parts[1]) if len(parts) in (2, 4) and parts[0] == "upload" else None
        if spec is None:
            continue
        if len(parts) == 2 and spec["type"] != "file":
            continue
        if len(parts) == 4:
            sub = {f["key"]: f["type"] for f in spec.get("fields") or []}
            if spec["type"] != "group" or sub.get(parts[3]) != "file" or not parts[2].isdigit():
                continue
        stored, error = _store_files(request, name)
        path = "form." + ".".join(parts[1:])
        if error:
            application.errors.put(path, error)
        if not stored:
            continue
        if len(parts) == 2:
            application.form[parts[1]] = [*application.form.get(parts[1], []), *stored]
            continue
        # ``form_from_post`` drops empty rows, so row i of the page is row i here only when none before it was
        # empty; a file for a row beyond the parsed ones starts a row of its own.
        rows = application.form.setdefault(parts[1], [])
        index = int(parts[2])
        if index < len(rows):
            rows[index][parts[3]] = [*rows[index].get(parts[3], []), *stored]
        else:
            rows.append({parts[3]: stored})


def _form_upload_ids(values: Any) -> list[int]:
    """Every upload id inside form values (file fields, also inside group rows)."""
    found: list[int] = []
    if isinstance(values, Mapping):
        for value in values.values():
            found += _form_upload_ids(value)
    elif isinstance(values, list):
        for value in values:
            if isinstance(value, int) and not isinstance(value, bool):
                found.append(value)
            else:
                found += _form_upload_ids(value)
    return found


def _material_rows(
    version: ItemVersion,
    applicant: Applicant,
    chosen: Mapping[str, list[int]],
    names: Mapping[int, str],
    errors: Mapping[str, str],
) -> list[dict[str, Any]]:
    rows = []
    for spec in _material_specs(version, applicant):
        ids = list(chosen.get(spec["code"], []))
        rows.append(
            {
                **spec,
                "attached": [{"id": i, "name": names.get(i, f"文件{i}")} for i in ids],
                "error": errors.get(spec["code"], ""),
            }
        )
    return rows


def _draft_of(user: User, item: ServiceItem, identity: str) -> ApplicationDraft | None:
    return ApplicationDraft.objects.filter(owner=user, item=item, identity=identity).first()


def _saved_text(draft: ApplicationDraft | None) -> str:
    return f"已自动保存 {timezone.localtime(draft.updated_at):%H:%M}" if draft else ""


def _apply_url(item: ServiceItem, applicant: Applicant) -> str:
    url = reverse("cases_portal:apply", args=[item.pk])
    return url + (f"?{urlencode({'for': applicant.principal_id})}" if applicant.principal_id else "")


def _identity_problem(version: ItemVersion, applicant: Applicant) -> str:
    if applicant.enterprise_id is not None and not version.for_organisations:
        return "该事项只面向个人办理：请在页面顶部把“办事身份”切换为个人后再申请。"
    if applicant.enterprise_id is None and not version.for_persons:
        return "该事项只面向法人和其他组织：请在页面顶部把“办事身份”切换为企业后再申请。"
    if applicant.enterprise_id is None and applicant.principal_id is None and applicant.person is None:
        return "请先完成实名登记后再申请。"
    return ""


def _render_apply(
    request: HttpRequest,
    *,
    item: ServiceItem,
    version: ItemVersion,
    applicant: Applicant,
    application: Application,
    revision: int,
    saved: str = "",
    idempotency_key: str = "",
    delivery: Mapping[str, str] | None = None,
    commitment: bool = False,
    conflict: bool = False,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    content = version.content
    windows = _pickup_windows(item.department)
    material_ids = [i for ids in application.materials.values() for i in ids]
    names = _upload_names(user, material_ids + _form_upload_ids(application.form))
    delivery = delivery or {"method": DeliveryMethod.ELECTRONIC}
    anchors = {**DELIVERY_ANCHORS, "commitment": "#commitment", "revision": "#draft-reload"}
    context = {
        "item": item,
        "v": version,
        "content": content,
        "applicant": applicant,
        "identity_problem": _identity_problem(version, applicant),
        "fields": list(content.get("form") or []),
        "values": application.form,
        "uploads": names,
        "materials": _material_rows(version, applicant, application.materials, names, application.errors.materials),
        "errors": application.errors,
        "summary": application.errors.summary(anchors),
        "revision": revision,
        "saved": saved,
        "idempotency_key": idempotency_key or secrets.token_urlsafe(24),
        "windows": windows,
        "delivery": delivery,
        "express": bool(content.get("express")),
        "commitment_item": bool(content.get("commitment")),
        "commitment_checked": commitment,
        "conflict": conflict,
        "apply_url": _apply_url(item, applicant),
        "upload_accept": UPLOAD_ACCEPT,
        "upload_limit": size_text(upload_max_bytes()),
        "exempt_text": EXEMPT_TEXT,
        "conflict_text": f"草稿已于{saved[-5:]}在其他设备上修改。" if conflict and saved else "",
    }
    return render(request, "cases/portal/apply.html", context, status=status)


def _revision(request: HttpRequest) -> int:
    raw = request.POST.get("revision", "")
    return int(raw) if raw.isdigit() else 0  # 0: the page loaded no draft (see the module docstring)


def _delivery_post(request: HttpRequest) -> dict[str, str]:
    return {
        "method": request.POST.get("delivery_method", ""),
        "window": request.POST.get("pickup_window_id", ""),
        "address": request.POST.get("address", ""),
    }


def _case_url(case: Case) -> str:
    return reverse("cases_portal:case", args=[case.pk])


def _case_with_key(user: User, key: str) -> Case | None:
    if not key:
        return None
    return selectors.case_list_for_applicant(user=user).filter(submitted_by=user, idempotency_key=key).first()


def _already_submitted(request: HttpRequest, case: Case) -> HttpResponse:
    messages.info(request, f"这份申请已经提交过（办件编号 {case.number}），没有重复提交。")
    return redirect(_case_url(case))


@never_cache
@citizen_required
def apply(request: HttpRequest, item_id: int) -> HttpResponse:
    """在线申请: the form of the item's version in effect, its materials, 告知承诺, the delivery choice; “保存草稿”
    and “提交申请” post here (the page works without JavaScript), autosave posts to ``apply_draft``."""
    try:
        item, version = _published(item_id)
    except DomainError as exc:
        return _problem(request, exc)
    user = _user(request)
    applicant = _applicant(request, item, request.GET.get("for") or request.POST.get("for") or "")
    draft = _draft_of(user, item, applicant.identity)
    if request.method != "POST":
        application = Application(
            form=services.draft_form(draft) if draft else {},
            materials={code: list(ids) for code, ids in (draft.materials if draft else {}).items()},
        )
        return _render_apply(
            request,
            item=item,
            version=version,
            applicant=applicant,
            application=application,
            revision=draft.revision if draft else 0,
            saved=_saved_text(draft),
        )

    op = request.POST.get("op", "")
    key = request.POST.get("idempotency_key", "").strip()
    if op == "submit":
        # A second click or a resubmitted page: the case this page already made, before storing files again.
        existing = _case_with_key(user, key)
        if existing is not None:
            return _already_submitted(request, existing)
    application = _read_application(request, version, applicant, store_form_files=True)
    delivery = _delivery_post(request)
    commitment = request.POST.get("commitment") == "1"

    def again(*, revision: int, status: int, saved: str = "", conflict: bool = False) -> HttpResponse:
        """The page again with what was posted (nothing typed or uploaded is lost)."""
        return _render_apply(
            request,
            item=item,
            version=version,
            applicant=applicant,
            application=application,
            idempotency_key=key,
            delivery=delivery,
            commitment=commitment,
            revision=revision,
            saved=saved,
            conflict=conflict,
            status=status,
        )

    if op == "save":
        try:
            saved = services.draft_save(
                actor=user,
                item_id=item.pk,
                identity=applicant.identity,
                form=application.form,
                materials=application.materials,
                revision=_revision(request),
            )
        except DomainError as exc:
            current = _draft_of(user, item, applicant.identity)
            conflict = exc.code == ErrorCode.CONFLICT
            if not conflict:
                application.errors.add(exc)
            return again(
                # After a conflict the page carries the other device's revision: saving again overwrites it.
                revision=current.revision if current else _revision(request),
                saved=_saved_text(current),
                conflict=conflict,
                status=exc.status,
            )
        if application.errors:
            return again(revision=saved.revision, saved=_saved_text(saved), status=422)
        messages.success(
            request, f"草稿已保存（{timezone.localtime(saved.updated_at):%H:%M}）。您可以在任何设备上登录后继续填写。"
        )
        return redirect(_apply_url(item, applicant))
    if op != "submit":
        application.errors.message = "请点击“保存草稿”或“提交申请”。"
        return again(revision=_revision(request), status=400)

    if application.errors:
        return again(revision=_revision(request), status=422)
    missing = [
        m["name"]
        for m in _material_specs(version, applicant)
        if m["necessity"] == Necessity.REQUIRED and not m["exempt"] and m["code"] not in application.materials
    ]
    if version.content.get("commitment") and missing and not commitment:
        application.errors.message = "请上传必要材料，或勾选告知承诺书后以承诺方式办理"
        application.errors.put(
            "commitment", "尚未上传：" + "、".join(missing) + "。请上传这些材料，或勾选承诺后以告知承诺方式办理。"
        )
        return again(revision=_revision(request), status=422)
    window = delivery["window"]
    try:
        case = services.case_submit(
            actor=user,
            item_id=item.pk,
            form=application.form,
            materials=application.materials,
            channel=Channel.ONLINE,
            idempotency_key=key,
            enterprise_id=applicant.enterprise_id,
            principal_id=applicant.principal_id,
            delivery_method=delivery["method"],
            pickup_window_id=int(window) if window.isdigit() else None,
            address=delivery["address"],
            commitment_signed=bool(version.content.get("commitment")) and commitment,
        )
    except DomainError as exc:
        existing = _case_with_key(user, key) if exc.field == "idempotency_key" else None
        if existing is not None:  # two clicks raced each other with different file uploads: the first won
            return _already_submitted(request, existing)
        application.errors.add(exc)
        return again(revision=_revision(request), status=exc.status)
    if draft is not None:
        services.draft_delete(actor=user, draft_id=draft.pk)
    messages.success(request, f"申请已提交。办件编号：{case.number}；查询码：{case.lookup_code}（请妥善保存）。")
    return redirect(_case_url(case))


def _autosave_signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-out autosave (the session expired while the page was open) answers a line for the status
    area with a log-in link, instead of the log-in redirect that htmx would paste into the page."""

    @wraps(view)
    def wrapper(request: HttpRequest, item_id: int) -> HttpResponse:
        if not request.user.is_authenticated:
            login = f"{reverse('accounts:login')}?{urlencode({'next': reverse('cases_portal:apply', args=[item_id])})}"
            context = {"message": "登录已超时，本页内容未能自动保存", "login_url": login}
            return render(request, "cases/portal/_autosave.html", context, status=401)
        return view(request, item_id)

    return wrapper


@never_cache
@require_POST
@_autosave_signed_in
@citizen_required
def apply_draft(request: HttpRequest, item_id: int) -> HttpResponse:
    """Autosave (htmx): save the draft and answer the status line, plus the new revision and the material
    blocks that received files, out of band. A stale revision answers 409 with a reload link."""
    try:
        item, version = _published(item_id)
    except DomainError as exc:
        return _problem(request, exc)
    user = _user(request)
    applicant = _applicant(request, item, request.POST.get("for", ""))
    revision = _revision(request)
    if revision > 0 and _draft_of(user, item, applicant.identity) is None:
        # The page had a draft that is gone: the application was submitted (or the draft deleted) meanwhile,
        # typically an autosave timer firing while “提交申请” was on its way. Do not bring the draft back.
        gone = {"gone": True, "message": DRAFT_GONE, "apply_url": _apply_url(item, applicant)}
        return render(request, "cases/portal/_autosave.html", gone, status=409)
    application = _read_application(request, version, applicant, store_form_files=False)
    context: dict[str, Any] = {
        "apply_url": _apply_url(item, applicant),
        "upload_accept": UPLOAD_ACCEPT,
        "upload_limit": size_text(upload_max_bytes()),
        "exempt_text": EXEMPT_TEXT,
    }
    try:
        draft = services.draft_save(
            actor=user,
            item_id=item.pk,
            identity=applicant.identity,
            form=application.form,
            materials=application.materials,
            revision=revision,
        )
    except DomainError as exc:
        context.update(conflict=exc.code == ErrorCode.CONFLICT, message=exc.message)
        return render(request, "cases/portal/_autosave.html", context, status=exc.status)
    names = _upload_names(user, [i for ids in application.materials.values() for i in ids])
    rows = _material_rows(version, applicant, application.materials, names, application.errors.materials)
    context.update(
        saved=_saved_text(draft),
        revision=draft.revision,
        materials=[m for m in rows if m["code"] in application.new_materials],
    )
    return render(request, "cases/portal/_autosave.html", context)


# --- 我的办件 ------------------------------------------------------------------------------------------------


def light_view(case: Case, on: Any) -> dict[str, str]:
    """The light of a case in handling as icon + words (never colour alone); words for the other states."""
    if case.state in (CaseState.SUBMITTED, CaseState.SUPPLEMENT):
        return {"light": "none", "icon": "", "text": "受理后计时"}
    if case.state != CaseState.HANDLING:
        return {"light": "none", "icon": "", "text": "已停止计时"}
    if case.paused_since is not None:
        return {"light": "paused", "icon": "Ⅱ", "text": "暂停计时"}
    light = getattr(case, "light", None) or light_of(due=case.promise_due, warn_on=case.warn_on, paused=False, today=on)
    icon, text = LIGHT_TEXT[Light(light)]
    return {"light": light, "icon": icon, "text": text}


STATE_FILTERS: list[tuple[str, str]] = [("", "全部"), ("open", "未办结"), *CaseState.choices]


@never_cache
@require_GET
@citizen_required
def my_cases(request: HttpRequest) -> HttpResponse:
    """我的办件: the cases I applied for, applied for on someone's behalf, or my enterprises', newest first."""
    state = request.GET.get("state", "")
    rows = selectors.with_lights(selectors.case_list_for_applicant(user=request.user))
    if state == "open":
        rows = rows.filter(state__in=OPEN_STATES)
    elif state in CaseState.values:
        rows = rows.filter(state=state)
    else:
        state = ""
    page = Paginator(rows, MY_CASES_PER_PAGE).get_page(request.GET.get("page"))
    on = selectors.today()
    for case in page.object_list:
        case.light_view = light_view(case, on)  # type: ignore[attr-defined]
    return render(
        request,
        "cases/portal/my_cases.html",
        {
            "page": page,
            "state": state,
            "state_label": dict(STATE_FILTERS).get(state, "全部"),
            "filters": STATE_FILTERS,
            "query_state": urlencode({"state": state}) if state else "",
        },
    )


# --- one case ---------------------------------------------------------------------------------------------


def _event_text(event: CaseEvent) -> str:
    """A short explanation of an event for the applicant (no internal opinions)."""
    data = event.data or {}
    match event.action:
        case EventAction.SUBMIT:
            return f"通过“{Channel(data.get('channel', Channel.ONLINE)).label}”提交"
        case EventAction.ACCEPT:
            mode = data.get("mode")
            return AcceptMode(mode).label if mode in AcceptMode.values else ""
        case EventAction.REQUEST_SUPPLEMENT:
            return "请按《补正材料一次性告知书》补正"
        case EventAction.STEP_COMPLETE:
            return f"“{data.get('step', '')}”环节已通过"
        case EventAction.STEP_RETURN:
            return f"退回“{data.get('to', '')}”环节重新办理"
        case EventAction.DECIDE:
            decision = data.get("decision")
            return Decision(decision).label if decision in Decision.values else ""
        case EventAction.DELIVERY_SET | EventAction.CLOSE:
            method = data.get("method")
            return DeliveryMethod(method).label if method in DeliveryMethod.values else ""
        case EventAction.WITHDRAW:
            return f"撤回原因：{event.reason}"
        case EventAction.SPECIAL_START:
            return f"{data.get('name', '')}" + ("（期间暂停计时）" if data.get("pauses") else "")
        case EventAction.EXTEND:
            return f"延长{data.get('days', '')}个工作日"
    return ""


def _step_plan(case: Case) -> list[dict[str, Any]]:
    """The steps of the pinned version with how far the case got: 已完成 / 办理中 / 未开始."""
    latest: dict[int, CaseStep] = {}
    for row in case.steps.order_by("started_at", "id"):
        latest[row.position] = row
    waiting = {
        CaseState.SUBMITTED: "待受理",
        CaseState.SUPPLEMENT: "待补正",
        CaseState.REJECTED: "不予受理",
        CaseState.WITHDRAWN: "已撤回",
    }
    finished = case.state in TERMINAL_STATES or case.state == CaseState.DECIDED
    plan = []
    for position, spec in enumerate(case.version.content.get("steps") or []):
        step = latest.get(position)
        if step is None and position == 0 and case.state in waiting:  # 受理 is recorded when it happens
            status, when = waiting[CaseState(case.state)], None
        elif step is None:
            status, when = "未进行" if finished else "未开始", None
        elif step.state == StepState.OPEN:
            status, when = "办理中", step.due
        elif step.state == StepState.DONE:
            status, when = "已完成", step.finished_at
        else:
            status, when = "未开始" if step.state == StepState.RETURNED else "已终止", None
        is_open = status in ("办理中", "待受理", "待补正")
        plan.append({"name": spec.get("name", ""), "status": status, "when": when, "open": is_open})
    return plan


@dataclass
class CaseActions:
    """Which applicant actions the page offers now (the services check again when they run)."""

    supplement: bool
    withdraw: bool
    delivery: bool
    deferred: list[CaseMaterial]
    to_supplement: list[CaseMaterial]


def _actions(case: Case, materials: list[CaseMaterial]) -> CaseActions:
    state = case.state
    return CaseActions(
        supplement=state == CaseState.SUPPLEMENT,
        withdraw=state in (CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.HANDLING),
        delivery=state in (CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.HANDLING, CaseState.DECIDED),
        deferred=[m for m in materials if m.status == MaterialStatus.DEFERRED]
        if state in (CaseState.HANDLING, CaseState.DECIDED, CaseState.CLOSED)
        else [],
        to_supplement=[m for m in materials if m.status == MaterialStatus.ABSENT or m.problem]
        if state == CaseState.SUPPLEMENT
        else [],
    )


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    errors: PageErrors | None = None,
    action: str = "",
    posted: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    materials = list(case.materials.prefetch_related("uploads"))
    fields = list(case.version.content.get("form") or [])
    form = services.case_form(case)
    events = [e for e in selectors.case_events(case=case) if e.action in APPLICANT_EVENTS]
    notices = list(case.notices.all())
    on = selectors.today()
    errors = errors or PageErrors()
    posted = posted or {}
    delivery = {
        "method": posted.get("method", case.delivery_method or DeliveryMethod.ELECTRONIC),
        "window": posted.get("window", str(case.pickup_window_id or "")),
        "address": posted.get("address", services.case_address(case)),
    }
    context = {
        "case": case,
        "v": case.version,
        "light": light_view(case, on),
        "steps": _step_plan(case),
        "events": [{"event": e, "text": _event_text(e)} for e in events],
        "notices": notices,
        "materials": materials,
        "form_rows": form_display(fields=fields, data=form),
        "fields": fields,
        "form_values": posted.get("form", form),
        "actions": _actions(case, materials),
        "windows": _pickup_windows(case.department) if case.state in OPEN_STATES else [],
        "express": bool(case.version.content.get("express")),
        "delivery": delivery,
        "address": services.case_address(case),
        "errors": errors,
        "summary": errors.summary({"reason": "#withdraw-reason", **DELIVERY_ANCHORS}),
        "action": action,
        "reason": posted.get("reason", ""),
        "edit_form": posted.get("edit_form", False),
        "own_uploads": {u.pk for m in materials for u in m.uploads.all() if u.uploader_id == user.pk},
        "upload_accept": UPLOAD_ACCEPT,
        "exempt_text": EXEMPT_TEXT,
        "paused": case.paused_since is not None,
    }
    return render(request, "cases/portal/case.html", context, status=status)


def _own_case(request: HttpRequest, case_id: int) -> Case:
    """The case if the signed-in citizen is on its applicant side; else the not-found answer."""
    return selectors.case_get_for_user(user=request.user, case_id=case_id)


@never_cache
@require_GET
@citizen_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    try:
        case = _own_case(request, case_id)
    except DomainError as exc:
        return _problem(request, exc)
    return _render_case(request, case)


def _materials_posted(request: HttpRequest, codes: Iterable[str], errors: PageErrors) -> dict[str, list[int]]:
    materials: dict[str, list[int]] = {}
    for code in codes:
        stored, error = _store_files(request, f"file.{code}")
        if error:
            errors.put(f"materials.{code}", error)
        if stored:
            materials[code] = stored
    return materials


@never_cache
@require_POST
@citizen_required
def case_supplement(request: HttpRequest, case_id: int) -> HttpResponse:
    """补正: replacements for the materials the notice lists, and (optionally) a corrected form."""
    try:
        case = _own_case(request, case_id)
    except DomainError as exc:
        return _problem(request, exc)
    errors = PageErrors()
    codes = [m.code for m in case.materials.all()]
    materials = _materials_posted(request, codes, errors)
    edit_form = request.POST.get("edit_form") == "1"
    form = None
    if edit_form:
        application = Application(
            form=form_from_post(fields=case.version.content.get("form") or [], post=request.POST), materials={}
        )
        _store_form_files(request, list(case.version.content.get("form") or []), application)
        form = application.form
        for path, message in application.errors.form.items():
            errors.put(path, message)
    posted = {"edit_form": edit_form, **({"form": form} if form is not None else {})}
    if errors:
        errors.message = errors.message or "部分文件未能上传，请按提示重新选择"
        return _render_case(request, case, errors=errors, action="supplement", posted=posted, status=422)
    try:
        services.case_supplement(actor=request.user, case_id=case.pk, form=form, materials=materials or None)
    except DomainError as exc:
        errors.add(exc)
        return _render_case(request, case, errors=errors, action="supplement", posted=posted, status=exc.status)
    messages.success(request, "补正材料已提交，窗口将重新审查，请留意办件进度。")
    return redirect(_case_url(case))


@never_cache
@require_POST
@citizen_required
def case_withdraw(request: HttpRequest, case_id: int) -> HttpResponse:
    """撤回申请, in two steps: the reason, then a page that asks to confirm (``confirm=1``) before anything
    changes."""
    try:
        case = _own_case(request, case_id)
    except DomainError as exc:
        return _problem(request, exc)
    reason = request.POST.get("reason", "")
    if request.POST.get("confirm") != "1":
        return render(request, "cases/portal/withdraw_confirm.html", {"case": case, "reason": reason})
    try:
        services.case_withdraw(actor=request.user, case_id=case.pk, reason=reason)
    except DomainError as exc:
        errors = PageErrors()
        errors.add(exc)
        return _render_case(
            request, case, errors=errors, action="withdraw", posted={"reason": reason}, status=exc.status
        )
    messages.success(request, "申请已撤回。")
    return redirect(_case_url(case))


@never_cache
@require_POST
@citizen_required
def case_delivery(request: HttpRequest, case_id: int) -> HttpResponse:
    """选择出件方式: 电子送达, 窗口领取 (a window of the department's region) or 快递送达 when the item allows."""
    try:
        case = _own_case(request, case_id)
    except DomainError as exc:
        return _problem(request, exc)
    posted = _delivery_post(request)
    try:
        services.case_delivery_set(
            actor=request.user,
            case_id=case.pk,
            method=posted["method"],
            pickup_window_id=int(posted["window"]) if posted["window"].isdigit() else None,
            address=posted["address"],
        )
    except DomainError as exc:
        errors = PageErrors()
        errors.add(exc)
        return _render_case(request, case, errors=errors, action="delivery", posted=posted, status=exc.status)
    messages.success(request, "出件方式已保存。")
    return redirect(_case_url(case))


@never_cache
@require_POST
@citizen_required
def case_deferred(request: HttpRequest, case_id: int) -> HttpResponse:
    """容缺后补: upload the materials still owed after a 容缺 acceptance."""
    try:
        case = _own_case(request, case_id)
    except DomainError as exc:
        return _problem(request, exc)
    errors = PageErrors()
    owed = case.materials.filter(status=MaterialStatus.DEFERRED).values_list("code", flat=True)
    materials = _materials_posted(request, owed, errors)
    if errors:
        errors.message = "部分文件未能上传，请按提示重新选择"
        return _render_case(request, case, errors=errors, action="deferred", status=422)
    try:
        services.case_deferred_supply(actor=request.user, case_id=case.pk, materials=materials)
    except DomainError as exc:
        errors.add(exc)
        return _render_case(request, case, errors=errors, action="deferred", status=exc.status)
    messages.success(request, "容缺材料已提交。")
    return redirect(_case_url(case))


@never_cache
@require_GET
@citizen_required
def case_notice_pdf(request: HttpRequest, case_id: int, notice_id: int) -> HttpResponse:
    try:
        case = _own_case(request, case_id)
        notice = case.notices.filter(pk=notice_id).first()
        if notice is None:
            raise not_found("文书")
    except DomainError as exc:
        return _problem(request, exc)
    response = HttpResponse(notice_pdf(case=case, notice=notice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{notice.number}.pdf"'
    return response


# --- 办件进度查询 (public) ----------------------------------------------------------------------------------


def _progress_allowed(request: HttpRequest) -> bool:
    """At most ``PROGRESS_LIMIT`` lookups per IP address in ``PROGRESS_WINDOW_SECONDS`` (every attempt counts,
    so guessing 查询码 is slow whatever the answers)."""
    key = f"yiwang:cases:progress:{client_address(request)}"
    return attempt_allowed(key, limit=PROGRESS_LIMIT, window_seconds=PROGRESS_WINDOW_SECONDS)


def masked_applicant(case: Case) -> str:
    """A person shows the family name only (张**); an organisation its first two and last four characters."""
    name = case.applicant_name
    if case.applicant_enterprise_id is None or len(name) <= 6:
        return mask_name(name)
    return name[:2] + "*" * (len(name) - 6) + name[-4:]


def public_progress(case: Case) -> dict[str, Any]:
    """What the public lookup shows: state, item, masked applicant, and step names with dates."""
    steps = []
    for event in case.events.filter(action__in=PUBLIC_EVENTS).order_by("seq"):
        name = EventAction(event.action).label
        if event.action == EventAction.STEP_COMPLETE:
            name = f"{(event.data or {}).get('step', '')}（已通过）"
        steps.append({"name": name, "on": timezone.localdate(event.at)})
    return {
        "number": case.number,
        "state": CaseState(case.state).label,
        "item": case.version.name,
        "applicant": masked_applicant(case),
        "steps": steps,
    }


@never_cache
def progress(request: HttpRequest) -> HttpResponse:
    """办件进度查询: 办件编号 + 查询码 (POST, so the code stays out of addresses and logs)."""
    context: dict[str, Any] = {"number": "", "result": None, "error": ""}
    status = 200
    if request.method == "POST":
        number = request.POST.get("number", "").strip()[:50]
        code = request.POST.get("code", "").strip()[:8]
        context["number"] = number
        if not _progress_allowed(request):
            context["error"], status = PROGRESS_LIMITED, 429
        elif not number or not code:
            context["error"], status = "请填写办件编号和查询码。", 422
        else:
            case = selectors.case_lookup_public(number=number, code=code)
            if case is None:
                context["error"] = PROGRESS_NOT_FOUND
            else:
                context["result"] = public_progress(case)
    return render(request, "cases/portal/progress.html", context, status=status)
