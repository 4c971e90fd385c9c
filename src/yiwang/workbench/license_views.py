"""Staff pages of 电子证照 and 电子印章: the seal registry (电子印章管理), the trust list of other regions' issuers
(互认信任列表), reading a licence with a stated purpose (亮证核验 / 证照查询), and the issuer's pages (证照管理:
status, correction, the 异议 queue).

Every write is one call of one ``yiwang.licenses.services`` function — the same functions the API calls; the
pages check only the shape of the input. Reads are scoped: a page needs the action (403 without it), and a seal
or licence outside the user's departments is "not found" (404), the same answer as one that does not exist.
A refusal re-shows the page with the message next to the field it concerns (status = the error's) and nothing
written. Final steps (吊销印章, 移出信任列表, 撤销/注销/吊销证照) ask for a confirmation first, without script.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts.permissions import Action, department_q, user_can
from yiwang.core.errors import DomainError, ErrorCode, not_found
from yiwang.files.selectors import blob_read
from yiwang.licenses import keys, selectors, services
from yiwang.licenses.choices import (
    LIVE_STATUSES,
    DisputeState,
    LicenseStatus,
    SealKind,
    SealStatus,
    UseKind,
)
from yiwang.licenses.models import Dispute, License, LicenseType, Seal, SealAuthority, TrustedIssuer
from yiwang.licenses.seal_image import seal_svg
from yiwang.regions.models import Department
from yiwang.workbench.views import staff_required

PAGE_SIZE = 20
CERTIFICATE_MAX_BYTES = 64 * 1024  # a certificate is a few KB; anything larger is not one
SHOW_CODE_DIGITS = 10
FINAL_STATUSES = (LicenseStatus.REVOKED, LicenseStatus.CANCELLED, LicenseStatus.WITHDRAWN)
# What the issuer may do from each live status (the button says it as people do: 恢复 = back to 有效).
STATUS_CHOICES: dict[str, list[tuple[str, str]]] = {
    LicenseStatus.VALID: [
        (LicenseStatus.SUSPENDED, "暂扣"),
        (LicenseStatus.REVOKED, "撤销"),
        (LicenseStatus.CANCELLED, "注销"),
        (LicenseStatus.WITHDRAWN, "吊销"),
    ],
    LicenseStatus.SUSPENDED: [
        (LicenseStatus.VALID, "恢复（恢复为有效）"),
        (LicenseStatus.REVOKED, "撤销"),
        (LicenseStatus.CANCELLED, "注销"),
        (LicenseStatus.WITHDRAWN, "吊销"),
    ],
}
STATUS_TAGS: dict[str, str] = {
    LicenseStatus.VALID: "ok",
    LicenseStatus.SUSPENDED: "warn",
}
PEM_TYPE = "application/x-pem-file"


# --- shared helpers ---------------------------------------------------------------------------------------


def _require(request: HttpRequest, *actions: str) -> None:
    """403 unless the user holds one of ``actions`` somewhere (the objects are scoped separately)."""
    if not any(user_can(request.user, action) for action in actions):
        raise PermissionDenied("您没有该功能的岗位权限")


def _problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": exc}, status=exc.status)


def _add_errors(form: forms.Form, exc: DomainError, renames: Mapping[str, str | None] | None = None) -> None:
    """A service's refusal next to the input it names; ``renames`` maps a service field path to a form field
    (``None``: at the top of the form). Anything unnamed goes to the top."""
    renames = renames or {}
    for error in exc.errors:
        name = renames[error.field] if error.field in renames else error.field.split(".")[-1]
        form.add_error(name if name in form.fields else None, error.message)
    if not exc.errors:
        form.add_error(None, exc.message)


def _pem_response(pem: str, filename: str) -> HttpResponse:
    response = HttpResponse(pem.encode("ascii"), content_type=PEM_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _positive(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


def _page(request: HttpRequest, rows: QuerySet[Any]) -> tuple[Any, Any]:
    paginator: Paginator[Any] = Paginator(rows, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return page, paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)


def _fingerprint_groups(fingerprint: str) -> str:
    """SHA-256 hex in groups of four, as people read it aloud to compare over the phone."""
    text = fingerprint.upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


# --- 1. 电子印章管理 -------------------------------------------------------------------------------------------


def _seal_departments(user: Any) -> QuerySet[Department]:
    return (
        Department.objects.filter(department_q(user, Action.SEAL_MANAGE), is_active=True)
        .select_related("region")
        .order_by("region__path", "name")
    )


def _seals(user: Any) -> QuerySet[Seal]:
    departments = Department.objects.filter(department_q(user, Action.SEAL_MANAGE))
    return Seal.objects.filter(department__in=departments).select_related("department", "department__region")


class SealCreateForm(forms.Form):
    """制发电子印章: for which department, which kind, how many years."""

    department = forms.TypedChoiceField(
        label="用章单位",
        coerce=int,
        error_messages={"required": "请选择用章单位", "invalid_choice": "请选择您管辖范围内的用章单位"},
    )
    kind = forms.ChoiceField(
        label="印章类型",
        choices=SealKind.choices,
        initial=SealKind.LICENSE,
        error_messages={"required": "请选择印章类型", "invalid_choice": "请选择列表中的印章类型"},
    )
    valid_years = forms.IntegerField(
        label="有效期（年）",
        min_value=1,
        max_value=10,
        initial=5,
        help_text="1–10年，自制发之日起算。",
        error_messages={
            "required": "请填写有效期",
            "invalid": "有效期应为1–10之间的整数",
            "min_value": "印章有效期应为1–10年",
            "max_value": "印章有效期应为1–10年",
        },
    )

    def __init__(self, *args: Any, departments: Iterable[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["department"])
        field.choices = [("", "请选择")] + [(d.pk, f"{d.name}（{d.region.name}）") for d in departments]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="原因",
        max_length=services.REASON_MAX,
        error_messages={"required": "请填写原因", "max_length": "原因不能超过%(limit_value)d字"},
    )

    def __init__(self, *args: Any, label: str = "原因", help_text: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.label = label
        field.help_text = help_text
        field.error_messages = {"required": f"请填写{label}", "max_length": f"{label}不能超过%(limit_value)d字"}
        field.widget = forms.Textarea(attrs={"rows": 3, "maxlength": services.REASON_MAX})


def _seal_state(seal: Seal, now: dt.datetime) -> tuple[str, str]:
    """(label, tag) of a seal as the registry shows it: 有效 / 已吊销 / 已过期 / 未生效."""
    if seal.status == SealStatus.REVOKED:
        return "已吊销", "bad"
    if seal.valid_until <= now:
        return "已过期", "bad"
    if seal.valid_from > now:
        return "未生效", "warn"
    return "有效", "ok"


def _seal_row(seal: Seal, now: dt.datetime, size: int = 96) -> dict[str, Any]:
    label, tag = _seal_state(seal, now)
    return {
        "seal": seal,
        "state": label,
        "tag": tag,
        "svg": seal_svg(seal.department.name, seal.label, size=size),
        "fingerprint": _fingerprint_groups(seal.certificate_fingerprint),
    }


def _authorities() -> list[dict[str, Any]]:
    rows = []
    for authority in SealAuthority.objects.order_by("-active", "-created_at"):
        summary = keys.certificate_summary(authority.certificate_pem.encode("ascii"))
        rows.append(
            {
                "authority": authority,
                "not_before": summary["not_before"],
                "not_after": summary["not_after"],
                "fingerprint": _fingerprint_groups(authority.fingerprint),
            }
        )
    return rows


@staff_required
def seal_list(request: HttpRequest) -> HttpResponse:
    """电子印章管理: the registry of the seals of the departments in scope, by department, and the form to make
    one. The authority certificate every seal chains to is offered for download (for other regions)."""
    _require(request, Action.SEAL_MANAGE)
    departments = list(_seal_departments(request.user))
    form = SealCreateForm(request.POST or None, departments=departments)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                seal = services.seal_create(
                    actor=request.user,
                    department_id=data["department"],
                    kind=data["kind"],
                    valid_years=data["valid_years"],
                )
                messages.success(request, f"已制发“{seal.name}”，印章编码 {seal.esid}。")
                return redirect(reverse("workbench:seals") + f"#seal-{seal.pk}")
            except DomainError as exc:
                _add_errors(form, exc, {"department_id": "department"})
                status = exc.status
        else:
            status = 422
    department_id = _positive(request.GET.get("department"))
    seals = _seals(request.user).order_by("department__region__path", "department__name", "-created_at")
    if department_id:
        seals = seals.filter(department_id=department_id)
    now = timezone.now()
    groups: dict[int, dict[str, Any]] = {}
    for seal in seals:
        group = groups.setdefault(seal.department_id, {"department": seal.department, "rows": []})
        group["rows"].append(_seal_row(seal, now))
    return render(
        request,
        "workbench/licenses/seals.html",
        {
            "form": form,
            "groups": list(groups.values()),
            "departments": departments,
            "department_id": department_id,
            "authorities": _authorities(),
            "can_manage_trust": user_can(request.user, Action.TRUST_MANAGE),
        },
        status=status,
    )


def _seal_for(request: HttpRequest, seal_id: int) -> Seal:
    _require(request, Action.SEAL_MANAGE)
    seal = _seals(request.user).select_related("created_by", "revoked_by").filter(pk=seal_id).first()
    if seal is None:
        raise not_found("电子印章")
    return seal


def _render_seal(request: HttpRequest, seal: Seal, form: ReasonForm, status: int = 200) -> HttpResponse:
    """The seal page; a refusal of the revocation shows above the form, or alone when the seal is no longer
    active (a second revocation from a stale page)."""
    return render(
        request,
        "workbench/licenses/seal.html",
        {
            "row": _seal_row(seal, timezone.now(), size=200),
            "seal": seal,
            "form": form,
            "signed": seal.licenses.count(),
        },
        status=status,
    )


def _revoke_form(data: Any = None) -> ReasonForm:
    return ReasonForm(data, label="吊销原因", help_text="必填，不超过200字，将记入审计日志。", prefix="revoke")


@staff_required
@require_GET
def seal_detail(request: HttpRequest, seal_id: int) -> HttpResponse:
    """One seal: its image, certificate, validity, what it signed, and the revocation form."""
    try:
        seal = _seal_for(request, seal_id)
    except DomainError as exc:
        return _problem(request, exc)
    return _render_seal(request, seal, _revoke_form())


@staff_required
@require_POST
def seal_revoke(request: HttpRequest, seal_id: int) -> HttpResponse:
    """吊销电子印章: reason → a confirmation page → the service."""
    try:
        seal = _seal_for(request, seal_id)
    except DomainError as exc:
        return _problem(request, exc)
    form = _revoke_form(request.POST)
    if not form.is_valid():
        return _render_seal(request, seal, form, status=422)
    reason = form.cleaned_data["reason"]
    if request.POST.get("confirm") != "1":
        return render(
            request,
            "workbench/licenses/confirm.html",
            {
                "title": "确认吊销电子印章",
                "question": f"确定吊销“{seal.name}”（印章编码 {seal.esid}）吗？吊销后该印章不能再签发证照，不能恢复；"
                "此前已签发的证照仍可验证。",
                "facts": [("用章单位", seal.department.name), ("吊销原因", reason)],
                "action": reverse("workbench:seal_revoke", args=[seal.pk]),
                "hidden": [("revoke-reason", reason)],
                "submit": "确认吊销",
                "back": reverse("workbench:seal", args=[seal.pk]),
                "back_label": "不吊销，返回印章",
            },
        )
    try:
        services.seal_revoke(actor=request.user, seal_id=seal.pk, reason=reason)
    except DomainError as exc:
        _add_errors(form, exc)
        seal.refresh_from_db()
        return _render_seal(request, seal, form, status=exc.status)
    messages.success(request, f"已吊销“{seal.name}”。")
    return redirect("workbench:seal", seal_id=seal.pk)


@staff_required
@require_GET
def seal_certificate(request: HttpRequest, seal_id: int) -> HttpResponse:
    """The seal's X.509 certificate (PEM): public, for checking a signature by hand."""
    try:
        seal = _seal_for(request, seal_id)
    except DomainError as exc:
        return _problem(request, exc)
    return _pem_response(seal.certificate_pem, f"seal-{seal.esid}.pem")


@staff_required
@require_GET
def authority_certificate(request: HttpRequest, authority_id: int) -> HttpResponse:
    """电子印章制发根证书 (PEM): what another region imports into its trust list to accept our licences."""
    _require(request, Action.SEAL_MANAGE, Action.TRUST_MANAGE)
    authority = SealAuthority.objects.filter(pk=authority_id).first()
    if authority is None:
        return _problem(request, not_found("根证书"))
    return _pem_response(authority.certificate_pem, f"yiwang-seal-authority-{authority.fingerprint[:8]}.pem")


# --- 2. 互认信任列表 -------------------------------------------------------------------------------------------


class TrustImportForm(forms.Form):
    """导入互认证书: the file (PEM or DER), whose it is, from which region."""

    certificate = forms.FileField(
        label="证书文件",
        help_text="PEM（.pem/.crt）或 DER（.cer/.der）格式的 X.509 证书，由对方地区的电子印章制发机构提供。",
        error_messages={"required": "请选择证书文件", "empty": "证书文件是空的"},
    )
    name = forms.CharField(
        label="机构名称",
        max_length=200,
        help_text="例如：某某市政务服务管理办公室。",
        error_messages={"required": "请填写机构名称", "max_length": "机构名称不能超过%(limit_value)d字"},
    )
    region_name = forms.CharField(
        label="所属地区",
        max_length=100,
        required=False,
        help_text="选填，例如：江苏省南京市。",
        error_messages={"max_length": "所属地区不能超过%(limit_value)d字"},
    )

    def clean_certificate(self) -> bytes:
        upload = self.cleaned_data["certificate"]
        if upload is None:  # the confirmed import carries the certificate as text (``pem``)
            return b""
        if upload.size > CERTIFICATE_MAX_BYTES:
            raise forms.ValidationError("文件过大：证书文件通常只有几KB，请确认选择的是证书")
        data = upload.read()
        try:
            keys.load_certificate(data)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        return bytes(data)


def _trust_context(request: HttpRequest, form: TrustImportForm) -> dict[str, Any]:
    issuers = TrustedIssuer.objects.select_related("added_by", "removed_by")
    now = timezone.now()
    return {
        "form": form,
        "issuers": [
            {"issuer": i, "fingerprint": _fingerprint_groups(i.fingerprint), "expired": i.not_after <= now}
            for i in issuers.filter(removed_at__isnull=True).order_by("name", "pk")
        ],
        "removed": list(issuers.filter(removed_at__isnull=False).order_by("-removed_at")[:50]),
        "authorities": _authorities(),
    }


@staff_required
def trust_list(request: HttpRequest) -> HttpResponse:
    """互认信任列表: the certificates in force, the import form; a file first shows its summary (subject,
    validity, fingerprint) to compare with what the other region said, then the import is confirmed."""
    _require(request, Action.TRUST_MANAGE)
    operation = request.POST.get("op") if request.method == "POST" else None
    if operation == "import":
        return _trust_import(request)
    form = TrustImportForm(request.POST or None, request.FILES or None)
    if operation == "preview":
        if form.is_valid():
            data = form.cleaned_data
            summary = keys.certificate_summary(data["certificate"])
            duplicate = TrustedIssuer.objects.filter(fingerprint=summary["fingerprint"], removed_at__isnull=True)
            return render(
                request,
                "workbench/licenses/trust_confirm.html",
                {
                    "summary": summary,
                    "fingerprint": _fingerprint_groups(summary["fingerprint"]),
                    "pem": summary["pem"].decode("ascii"),
                    "name": data["name"],
                    "region_name": data["region_name"],
                    "expired": summary["not_after"] <= timezone.now(),
                    "duplicate": duplicate.first(),
                },
            )
        return render(request, "workbench/licenses/trust.html", _trust_context(request, form), status=422)
    return render(request, "workbench/licenses/trust.html", _trust_context(request, form))


def _trust_import(request: HttpRequest) -> HttpResponse:
    """The confirmed import: the PEM the summary page carried (a public certificate) → the service."""
    form = TrustImportForm(request.POST)
    form.fields["certificate"].required = False  # carried as text from the summary page, not re-uploaded
    pem = (request.POST.get("pem") or "").strip()
    if form.is_valid():
        try:
            issuer = services.trusted_issuer_add(
                actor=request.user,
                certificate=pem.encode("ascii", "replace"),
                name=form.cleaned_data["name"],
                region_name=form.cleaned_data["region_name"],
            )
            messages.success(request, f"已将“{issuer.name}”的证书加入信任列表。")
            return redirect(reverse("workbench:trust") + f"#issuer-{issuer.pk}")
        except DomainError as exc:
            _add_errors(form, exc)
            status = exc.status
    else:
        status = 422
    return render(request, "workbench/licenses/trust.html", _trust_context(request, form), status=status)


@staff_required
@require_POST
def trust_remove(request: HttpRequest, issuer_id: int) -> HttpResponse:
    """移出信任列表: a confirmation page, then the service."""
    _require(request, Action.TRUST_MANAGE)
    issuer = TrustedIssuer.objects.filter(pk=issuer_id, removed_at__isnull=True).first()
    if issuer is None:
        return _problem(request, not_found("信任证书"))
    if request.POST.get("confirm") != "1":
        return render(
            request,
            "workbench/licenses/confirm.html",
            {
                "title": "确认移出信任列表",
                "question": f"确定将“{issuer.name}”的证书移出信任列表吗？移出后，仅由该证书签发的证照在验证时"
                "不再显示为互认可信。",
                "facts": [
                    ("所属地区", issuer.region_name or "—"),
                    ("证书主题", issuer.subject),
                    ("证书指纹", _fingerprint_groups(issuer.fingerprint)),
                ],
                "action": reverse("workbench:trust_remove", args=[issuer.pk]),
                "hidden": [],
                "submit": "确认移出",
                "back": reverse("workbench:trust"),
                "back_label": "不移出，返回信任列表",
            },
        )
    try:
        services.trusted_issuer_remove(actor=request.user, issuer_id=issuer.pk)
    except DomainError as exc:
        return _problem(request, exc)
    messages.success(request, f"已将“{issuer.name}”移出信任列表。")
    return redirect("workbench:trust")


# --- 3. 亮证核验 / 证照查询 --------------------------------------------------------------------------------------


class LicenseUseForm(forms.Form):
    code = forms.CharField(
        label="亮证码或电子证照标识",
        max_length=120,
        help_text="输入持证人出示的10位亮证码（5分钟内有效），或完整的电子证照标识（1.2.156.3005.2 开头）。",
        error_messages={"required": "请输入亮证码或电子证照标识"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    purpose = forms.CharField(
        label="用证事由",
        max_length=services.PURPOSE_MAX,
        help_text="必填，2–200字，持证人可在“我的证照”中看到，例如“办理食品经营许可变更，核验营业执照”。",
        error_messages={"required": "请填写用证事由", "max_length": "用证事由不能超过%(limit_value)d字"},
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.PURPOSE_MAX}),
    )


def _show_code_digits(text: str) -> str | None:
    """The 10 digits of a 亮证码 as typed (spaces and dashes allowed), or None when it is not one."""
    compact = "".join(ch for ch in text if ch not in " -\u3000")
    return compact if compact.isdigit() and len(compact) == SHOW_CODE_DIGITS else None


def _license_lines(license: License, face: Mapping[str, str]) -> list[tuple[str, str]]:
    lines = [
        ("证照名称", license.type.name),
        ("持证主体", license.holder_name),
        ("持证主体代码", license.holder_code_masked),
        ("证照编号", license.number),
        ("颁发机构", license.issuer.name),
        ("颁发日期", f"{license.issued_on:%Y年%m月%d日}"),
        ("有效期限", services.validity_text(license.valid_from, license.valid_until)),
    ]
    return lines + [(f["label"], face.get(f["key"]) or "—") for f in license.type.face_fields]


@staff_required
@never_cache
def license_use(request: HttpRequest) -> HttpResponse:
    """亮证核验 / 证照查询: the holder's 亮证码 (or the identifier) and a purpose → the licence's face data and
    status. Both inputs travel in a POST body, never in a URL; every successful read is a 用证记录."""
    _require(request, Action.LICENSE_USE)
    form = LicenseUseForm(request.POST or None)
    result = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            code = form.cleaned_data["code"]
            purpose = form.cleaned_data["purpose"]
            digits = _show_code_digits(code)
            try:
                if digits is not None:
                    license = services.show_code_redeem(actor=request.user, code=digits, purpose=purpose)
                    kind = UseKind.SHOW
                elif "." in code:
                    license = services.license_lookup_by_staff(actor=request.user, identifier=code, purpose=purpose)
                    kind = UseKind.STAFF
                else:
                    raise DomainError(
                        ErrorCode.VALIDATION,
                        "请输入持证人出示的10位数字亮证码，或以 1.2.156.3005.2 开头的完整电子证照标识",
                        field="code",
                    )
            except DomainError as exc:
                if exc.code == ErrorCode.NOT_FOUND and not exc.errors:
                    exc = DomainError(ErrorCode.NOT_FOUND, "查无此证：请核对电子证照标识", field="code")
                _add_errors(form, exc)
                status = exc.status
            else:
                verification = selectors.license_verify(license.identifier)
                result = {
                    "license": license,
                    "kind": UseKind(kind).label,
                    "verdict": verification.verdict_label,
                    "authentic": verification.verdict == "authentic",
                    "intact": verification.metadata_intact,
                    "lines": _license_lines(license, services.face_data(license)),
                    "purpose": purpose,
                }
                form = LicenseUseForm(initial={"purpose": purpose})  # ready for the next holder
        else:
            status = 422
    return render(request, "workbench/licenses/use.html", {"form": form, "result": result}, status=status)


# --- 4. 证照管理 (颁发机构) -------------------------------------------------------------------------------------


def _status_tag(status: str) -> str:
    return STATUS_TAGS.get(status, "bad")


@staff_required
@never_cache
def license_list(request: HttpRequest) -> HttpResponse:
    """本部门颁发的证照: filter by type, status, holder name, number; paged. Three queries whatever the page."""
    _require(request, Action.LICENSE_MANAGE)
    licenses = selectors.issuer_licenses(request.user)
    types = LicenseType.objects.filter(pk__in=licenses.values("type_id")).order_by("name")
    type_id = _positive(request.GET.get("type"))
    status = request.GET.get("status", "")
    holder = (request.GET.get("holder") or "").strip()[:50]
    number = (request.GET.get("number") or "").strip()[:120]
    rows = licenses
    if type_id:
        rows = rows.filter(type_id=type_id)
    if status in LicenseStatus.values:
        rows = rows.filter(status=status)
    if holder:
        rows = rows.filter(holder_name__icontains=holder)
    if number:
        rows = rows.filter(Q(number__icontains=number) | Q(identifier__icontains=number.upper()))
    page, page_range = _page(request, rows.order_by("-issued_on", "-id"))
    open_disputes = selectors.issuer_disputes(request.user).filter(state=DisputeState.OPEN).count()
    return render(
        request,
        "workbench/licenses/list.html",
        {
            "page_obj": page,
            "page_range": page_range,
            "rows": [{"license": lic, "tag": _status_tag(lic.status)} for lic in page],
            "types": types,
            "type_id": type_id,
            "statuses": LicenseStatus.choices,
            "status": status if status in LicenseStatus.values else "",
            "holder": holder,
            "number": number,
            "open_disputes": open_disputes,
        },
    )


def _issuer_license(request: HttpRequest, license_id: int) -> License:
    _require(request, Action.LICENSE_MANAGE)
    found = (
        selectors.issuer_licenses(request.user)
        .select_related("seal", "issuer__region", "created_by", "case")
        .filter(pk=license_id)
        .first()
    )
    if found is None:
        raise not_found("电子证照")
    return found


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="变更为",
        error_messages={"required": "请选择要变更的状态", "invalid_choice": "该证照当前不能变更为所选状态"},
    )
    reason = forms.CharField(
        label="变更原因",
        max_length=services.REASON_MAX,
        help_text="必填，不超过200字，持证人可见，并记入审计日志。",
        error_messages={"required": "请填写变更原因", "max_length": "变更原因不能超过%(limit_value)d字"},
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": services.REASON_MAX}),
    )

    def __init__(self, data: Any = None, *, current: str) -> None:
        super().__init__(data, prefix="status")
        field = cast(forms.ChoiceField, self.fields["status"])
        field.choices = [("", "请选择"), *STATUS_CHOICES.get(current, [])]


FACE_PREFIX = "face__"


def face_form(
    kind: LicenseType,
    *,
    data: Any = None,
    face: Mapping[str, str],
    prefix: str,
    note_label: str,
    note_max: int,
    note_help: str,
) -> forms.Form:
    """照面信息 of ``kind`` as inputs (prefilled with ``face``) plus the reason of the change."""
    fields: dict[str, forms.Field] = {}
    for item in kind.face_fields:
        fields[FACE_PREFIX + item["key"]] = forms.CharField(
            label=item["label"],
            required=False,
            max_length=500,
            initial=face.get(item["key"], ""),
            error_messages={"max_length": f"{item['label']}不能超过%(limit_value)d字"},
            widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        )
    fields["note"] = forms.CharField(
        label=note_label,
        max_length=note_max,
        help_text=note_help,
        error_messages={"required": f"请填写{note_label}", "max_length": f"{note_label}不能超过%(limit_value)d字"},
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": note_max}),
    )
    form_class = type("FaceForm", (forms.Form,), fields)
    return cast(forms.Form, form_class(data, prefix=prefix))


def _face_values(form: forms.Form) -> dict[str, str]:
    return {
        name[len(FACE_PREFIX) :]: value for name, value in form.cleaned_data.items() if name.startswith(FACE_PREFIX)
    }


def _face_renames(kind: LicenseType, note_field: str) -> dict[str, str | None]:
    renames: dict[str, str | None] = {f"face.{f['key']}": FACE_PREFIX + f["key"] for f in kind.face_fields}
    renames.update({note_field: "note", "reason": "note", "face": None, "holder": None, "seal": None})
    return renames


def _unchanged(form: forms.Form, face: Mapping[str, str]) -> bool:
    values = _face_values(form)
    return all(values[key].strip() == (face.get(key) or "").strip() for key in values)


def _correct_form(license: License, face: Mapping[str, str], data: Any = None) -> forms.Form:
    return face_form(
        license.type,
        data=data,
        face=face,
        prefix="correct",
        note_label="更正原因",
        note_max=services.REASON_MAX,
        note_help="必填，不超过200字。更正将签发新版本，原版本自动失效。",
    )


def _render_license(
    request: HttpRequest,
    license: License,
    *,
    status_form: StatusForm | None = None,
    correct_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    face = services.face_data(license)
    versions = License.objects.filter(serial=license.serial).select_related("issuer").order_by("version")
    disputes = list(license.disputes.select_related("raised_by").order_by("-created_at")[:20])
    live = license.status in LIVE_STATUSES
    return render(
        request,
        "workbench/licenses/license.html",
        {
            "license": license,
            "tag": _status_tag(license.status),
            "lines": _license_lines(license, face),
            "versions": [{"license": v, "tag": _status_tag(v.status)} for v in versions],
            "disputes": disputes,
            "live": live,
            "status_form": status_form or StatusForm(current=license.status),
            "correct_form": correct_form or _correct_form(license, face),
            "seal_svg": seal_svg(license.issuer.name, license.seal.label, size=120),
        },
        status=status,
    )


@staff_required
@require_GET
@never_cache
def license_detail(request: HttpRequest, license_id: int) -> HttpResponse:
    """一份证照 (颁发机构): face data, the version chain, disputes, the status and correction forms."""
    try:
        license = _issuer_license(request, license_id)
    except DomainError as exc:
        return _problem(request, exc)
    return _render_license(request, license)


@staff_required
@require_GET
def license_pdf(request: HttpRequest, license_id: int) -> HttpResponse:
    """The signed face (版式文件) as issued, for the issuing department."""
    try:
        license = _issuer_license(request, license_id)
    except DomainError as exc:
        return _problem(request, exc)
    response = HttpResponse(blob_read(license.pdf), content_type="application/pdf")
    name = f"{license.type.name}-{license.version:03d}.pdf"
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
@require_POST
def license_status(request: HttpRequest, license_id: int) -> HttpResponse:
    """变更证照状态 (暂扣 / 恢复 / 撤销 / 注销 / 吊销) with a reason; final ones are confirmed first."""
    try:
        license = _issuer_license(request, license_id)
    except DomainError as exc:
        return _problem(request, exc)
    form = StatusForm(request.POST, current=license.status)
    if not form.is_valid():
        return _render_license(request, license, status_form=form, status=422)
    new, reason = form.cleaned_data["status"], form.cleaned_data["reason"]
    label = dict(STATUS_CHOICES.get(license.status, [])).get(new, LicenseStatus(new).label)
    if new in FINAL_STATUSES and request.POST.get("confirm") != "1":
        return render(
            request,
            "workbench/licenses/confirm.html",
            {
                "title": f"确认{label}电子证照",
                "question": f"确定{label}“{license.holder_name}”的{license.type.name}吗？{label}后证照不能恢复，"
                "验证时将显示为已撤销或注销。",
                "facts": [("证照编号", license.number), ("电子证照标识", license.identifier), ("变更原因", reason)],
                "action": reverse("workbench:license_status", args=[license.pk]),
                "hidden": [("status-status", new), ("status-reason", reason)],
                "submit": f"确认{label}",
                "back": reverse("workbench:license", args=[license.pk]),
                "back_label": "不变更，返回证照",
            },
        )
    try:
        services.license_set_status(actor=request.user, license_id=license.pk, status=new, reason=reason)
    except DomainError as exc:
        _add_errors(form, exc)
        return _render_license(request, license, status_form=form, status=exc.status)
    messages.success(request, f"证照状态已变更为“{LicenseStatus(new).label}”。")
    return redirect("workbench:license", license_id=license.pk)


@staff_required
@require_POST
def license_correct(request: HttpRequest, license_id: int) -> HttpResponse:
    """更正照面信息: a new version signed with the seal; the current one becomes 失效."""
    try:
        license = _issuer_license(request, license_id)
    except DomainError as exc:
        return _problem(request, exc)
    face = services.face_data(license)
    form = _correct_form(license, face, request.POST)
    if not form.is_valid():
        return _render_license(request, license, correct_form=form, status=422)
    if _unchanged(form, face):
        form.add_error(None, "照面信息没有变化，无需更正")
        return _render_license(request, license, correct_form=form, status=422)
    try:
        new = services.license_correct(
            actor=request.user, license_id=license.pk, face=_face_values(form), reason=form.cleaned_data["note"]
        )
    except DomainError as exc:
        _add_errors(form, exc, _face_renames(license.type, "reason"))
        license.refresh_from_db()
        return _render_license(request, license, correct_form=form, status=exc.status)
    messages.success(request, f"已签发第{new.version:03d}版，原第{license.version:03d}版已失效。")
    return redirect("workbench:license", license_id=new.pk)


# --- 4b. 异议 -------------------------------------------------------------------------------------------------


DISPUTE_FILTERS = [("open", "待处理"), ("corrected", "已更正"), ("rejected", "不予更正"), ("all", "全部")]


@staff_required
@never_cache
def dispute_list(request: HttpRequest) -> HttpResponse:
    """异议队列 of the departments the user manages licences for; the open ones first."""
    _require(request, Action.LICENSE_MANAGE)
    state = request.GET.get("state") or "open"
    if state not in dict(DISPUTE_FILTERS):
        state = "open"
    disputes = selectors.issuer_disputes(request.user).select_related("raised_by", "license__issuer")
    counts = dict(disputes.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    if state != "all":
        disputes = disputes.filter(state=state)
    page, page_range = _page(request, disputes.order_by("-created_at", "-id"))
    return render(
        request,
        "workbench/licenses/disputes.html",
        {
            "page_obj": page,
            "page_range": page_range,
            "state": state,
            "filters": [
                {
                    "code": code,
                    "label": label,
                    "count": sum(counts.values()) if code == "all" else counts.get(code, 0),
                    "current": code == state,
                }
                for code, label in DISPUTE_FILTERS
            ],
        },
    )


def _accept_form(license: License, face: Mapping[str, str], data: Any = None) -> forms.Form:
    return face_form(
        license.type,
        data=data,
        face=face,
        prefix="accept",
        note_label="处理意见",
        note_max=500,
        note_help="必填，不超过500字，持证人可见。将按上面的照面信息签发新版本。",
    )


class RejectForm(forms.Form):
    note = forms.CharField(
        label="不予更正的理由",
        max_length=500,
        help_text="必填，不超过500字，持证人可见。",
        error_messages={"required": "请填写不予更正的理由", "max_length": "理由不能超过%(limit_value)d字"},
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )


@staff_required
@never_cache
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    """One 异议: the licence and the holder's reason; accept (edit the face → a new version) or reject."""
    _require(request, Action.LICENSE_MANAGE)
    dispute: Dispute | None = (
        selectors.issuer_disputes(request.user)
        .select_related("raised_by", "resolved_by", "corrected", "license__issuer", "license__seal")
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        return _problem(request, not_found("异议"))
    license = dispute.license
    face = services.face_data(license)
    operation = request.POST.get("op") if request.method == "POST" else None
    accept_form = _accept_form(license, face, request.POST if operation == "accept" else None)
    reject_form = RejectForm(request.POST if operation == "reject" else None, prefix="reject")
    status = 200
    if operation in ("accept", "reject"):
        form = accept_form if operation == "accept" else reject_form
        status = 422
        if form.is_valid() and operation == "accept" and _unchanged(form, face):
            form.add_error(None, "照面信息没有变化：如需更正，请修改照面信息；如无需更正，请选择不予更正")
        elif form.is_valid():
            accept = operation == "accept"
            try:
                resolved = services.dispute_resolve(
                    actor=request.user,
                    dispute_id=dispute.pk,
                    accept=accept,
                    resolution=form.cleaned_data["note"],
                    face=_face_values(form) if accept else None,
                )
            except DomainError as exc:
                _add_errors(form, exc, _face_renames(license.type, "resolution"))
                status = exc.status
                dispute.refresh_from_db()
            else:
                if resolved.corrected is not None:
                    messages.success(request, f"已更正，签发第{resolved.corrected.version:03d}版。")
                    return redirect("workbench:license", license_id=resolved.corrected.pk)
                messages.success(request, "已答复不予更正。")
                return redirect("workbench:license_disputes")
    elif request.method == "POST":
        return _problem(request, not_found("操作"))
    return render(
        request,
        "workbench/licenses/dispute.html",
        {
            "dispute": dispute,
            "license": license,
            "tag": _status_tag(license.status),
            "lines": _license_lines(license, face),
            "open": dispute.state == DisputeState.OPEN,
            "accept_form": accept_form,
            "reject_form": reject_form,
            "failed": operation,
        },
        status=status,
    )
