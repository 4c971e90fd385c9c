"""The holder's pages in the portal: 我的证照 (wallet), one licence, 一码亮证, 分享链接, 用证记录, 异议 — and the
public page a shared link opens.

Every write is a service call (``licenses.services``); every licence is read through
``selectors.holder_licenses`` scoped to the signed-in citizen (his own and those of the enterprises he may act
for), so another person's licence answers 404 exactly like one that does not exist.

Decisions worth knowing:

- The face data is shown in clear here: only the holder (or someone acting for the holding enterprise) reaches
  this page. The public verification page shows it masked.
- 亮证 is post/redirect/get: the button creates a code (``show_code_create``) and redirects to the code's page,
  so a reload shows the same code (or says it has expired) instead of drawing a new one; "刷新" posts again.
  The QR is drawn on the server (segno, inline SVG): no script library, nothing the CSP would refuse.
- A new share link's token is shown once: the service returns it, the page keeps it in the session for the one
  redirect that follows and drops it when shown. Only its SHA-256 is stored.
- A shared link (``/licenses/shared/<token>/``) shows the face data unmasked — the holder chose to share it —
  and every opening (page or PDF) is counted and logged as a use the holder sees. An expired or revoked link
  answers 404 with a page that says so. The token is in the path, so those pages send no referrer.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yiwang.accounts.identity_views import citizen_required
from yiwang.accounts.models import User
from yiwang.core.errors import DomainError, not_found
from yiwang.files.selectors import blob_read
from yiwang.licenses import selectors, services
from yiwang.licenses.choices import LIVE_STATUSES, DisputeState, LicenseStatus
from yiwang.licenses.models import License, ShowCode

NEW_SHARE_SESSION_KEY = "yiwang_new_share"  # {"license": id, "share": id, "token": …}, popped when shown
SHARE_HOURS_CHOICES = [(1, "1小时"), (24, "1天"), (72, "3天"), (168, "7天"), (720, "30天")]
SHARE_HOURS_DEFAULT = 72
USES_PER_PAGE = 50  # 用证记录, newest first; every use is reachable page by page


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _problem(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "errors/problem.html", {"error": exc}, status=exc.status)


def _own_license(request: HttpRequest, license_id: int) -> License:
    """The licence if the signed-in citizen holds it (or acts for the enterprise holding it); else not found."""
    found = selectors.holder_licenses(_user(request)).select_related("seal").filter(pk=license_id).first()
    if found is None:
        raise not_found("电子证照")
    return found


def _license_url(license_id: int) -> str:
    return reverse("licenses:license", args=[license_id])


def _status_tag(license: License) -> str:
    """CSS modifier of the status badge (the words are always shown too, never colour alone)."""
    if license.status == LicenseStatus.VALID:
        expired = license.valid_until is not None and license.valid_until < timezone.localdate()
        return "expired" if expired else "valid"
    if license.status == LicenseStatus.SUSPENDED:
        return "suspended"
    return "ended"


def _status_text(license: License) -> str:
    expired = license.valid_until is not None and license.valid_until < timezone.localdate()
    if license.status == LicenseStatus.VALID and expired:
        return "已过期"
    return license.get_status_display()


def _card(license: License) -> dict[str, Any]:
    return {
        "license": license,
        "status_tag": _status_tag(license),
        "status_text": _status_text(license),
        "validity": services.validity_text(license.valid_from, license.valid_until),
    }


def _face_rows(license: License) -> list[tuple[str, str]]:
    """照面信息 in clear, in the order the type prints them."""
    face = services.face_data(license)
    holder_label = "统一社会信用代码" if license.holder_type == "001" else "公民身份号码"
    rows = [("持证主体", license.holder_name), (holder_label, services.holder_code(license))]
    rows += [(f["label"], face.get(f["key"], "")) for f in license.type.face_fields if face.get(f["key"])]
    rows += [
        ("证照编号", license.number),
        ("颁发机构", license.issuer.name),
        ("颁发日期", f"{license.issued_on:%Y年%m月%d日}"),
        ("有效期限", services.validity_text(license.valid_from, license.valid_until)),
    ]
    return rows


def _pdf_response(license: License) -> HttpResponse:
    response = HttpResponse(blob_read(license.pdf), content_type="application/pdf")
    name = f"{license.type.name}-{license.number}.pdf"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


# --- 我的证照 ------------------------------------------------------------------------------------------------


@never_cache
@require_GET
@citizen_required
def wallet(request: HttpRequest) -> HttpResponse:
    """我的证照: the citizen's licences and those of the enterprises he acts for, live ones first."""
    licences = list(selectors.holder_licenses(_user(request)).order_by("-issued_on", "-id"))
    live = [_card(x) for x in licences if x.status in LIVE_STATUSES]
    past = [_card(x) for x in licences if x.status not in LIVE_STATUSES]
    return render(request, "licenses/wallet.html", {"live": live, "past": past})


def _render_license(
    request: HttpRequest,
    license: License,
    *,
    errors: dict[str, str] | None = None,
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    new_share = request.session.get(NEW_SHARE_SESSION_KEY)
    if isinstance(new_share, dict) and new_share.get("license") == license.pk:
        del request.session[NEW_SHARE_SESSION_KEY]  # shown once
    else:
        new_share = None
    shares = list(license.shares.filter(revoked_at__isnull=True, expires_at__gt=now).order_by("-created_at"))
    uses = Paginator(selectors.license_uses(license), USES_PER_PAGE).get_page(request.GET.get("uses_page"))
    disputes = list(license.disputes.select_related("corrected").order_by("-created_at"))
    errors = errors or {}
    posted = posted or {}
    context = {
        **_card(license),
        "face_rows": _face_rows(license),
        "can_show": license.status == LicenseStatus.VALID,
        "can_share": license.status == LicenseStatus.VALID,
        "shares": shares,
        "new_share_url": (
            request.build_absolute_uri(reverse("licenses:shared", args=[new_share["token"]])) if new_share else ""
        ),
        "hours_choices": SHARE_HOURS_CHOICES,
        "hours": posted.get("hours", str(SHARE_HOURS_DEFAULT)),
        "purpose": posted.get("purpose", ""),
        "reason": posted.get("reason", ""),
        "uses": uses,
        "disputes": disputes,
        "open_dispute": any(d.state == DisputeState.OPEN for d in disputes),
        "next_version": License.objects.filter(previous=license).only("pk", "identifier").first(),
        "errors": errors,
        "show_minutes": max(1, settings.YIWANG_SHOW_CODE_SECONDS // 60),
    }
    return render(request, "licenses/wallet_license.html", context, status=status)


@never_cache
@require_GET
@citizen_required
def license_detail(request: HttpRequest, license_id: int) -> HttpResponse:
    """One licence: the face data, the PDF, 亮证, 分享, 用证记录, 异议."""
    try:
        license = _own_license(request, license_id)
    except DomainError as exc:
        return _problem(request, exc)
    return _render_license(request, license)


@never_cache
@require_GET
@citizen_required
def license_pdf(request: HttpRequest, license_id: int) -> HttpResponse:
    """The signed face (PAdES), as issued."""
    try:
        license = _own_license(request, license_id)
    except DomainError as exc:
        return _problem(request, exc)
    return _pdf_response(license)


# --- 一码亮证 ------------------------------------------------------------------------------------------------


@never_cache
@require_POST
@citizen_required
def show_create(request: HttpRequest, license_id: int) -> HttpResponse:
    """亮证 (and 刷新): a new short-lived code, then its page."""
    try:
        shown = services.show_code_create(actor=_user(request), license_id=license_id)
    except DomainError as exc:
        return _problem(request, exc)
    return redirect("licenses:show", license_id=license_id, code_id=shown.pk)


def _qr_svg(text: str) -> str:
    """The QR of ``text`` as inline SVG (no width/height: the stylesheet sizes it; a viewBox keeps it square)."""
    import segno

    svg = segno.make(text, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, title="亮证二维码", svgclass="show-qr-image", lineclass=None
    )
    return svg.replace("<svg ", '<svg role="img" aria-label="亮证二维码" focusable="false" ', 1)


@never_cache
@require_GET
@citizen_required
def show_code(request: HttpRequest, license_id: int, code_id: int) -> HttpResponse:
    """The code as a QR and as digits, with how long it stays valid and a button for a new one."""
    try:
        license = _own_license(request, license_id)
    except DomainError as exc:
        return _problem(request, exc)
    shown = ShowCode.objects.filter(pk=code_id, license=license).first()
    now = timezone.now()
    live = shown is not None and shown.expires_at > now
    context = {
        **_card(license),
        "shown": shown if live else None,
        "qr": mark_safe(_qr_svg(shown.code)) if live and shown else "",  # noqa: S308 — segno's own markup
        "digits": f"{shown.code[:3]} {shown.code[3:6]} {shown.code[6:]}" if live and shown else "",
        "seconds_left": int((shown.expires_at - now).total_seconds()) if live and shown else 0,
        "show_minutes": max(1, settings.YIWANG_SHOW_CODE_SECONDS // 60),
    }
    return render(request, "licenses/show_code.html", context)


# --- 分享 ----------------------------------------------------------------------------------------------------


@never_cache
@require_POST
@citizen_required
def share_create(request: HttpRequest, license_id: int) -> HttpResponse:
    """分享: purpose and hours → a link shown once on the licence page."""
    try:
        license = _own_license(request, license_id)
    except DomainError as exc:
        return _problem(request, exc)
    posted = {"purpose": request.POST.get("purpose", ""), "hours": request.POST.get("hours", "")}
    hours = int(posted["hours"]) if posted["hours"].strip().isdigit() else 0
    try:
        share, token = services.share_create(
            actor=_user(request), license_id=license.pk, purpose=posted["purpose"], hours=hours
        )
    except DomainError as exc:
        field = exc.field if exc.field in ("purpose", "hours") else "share"
        return _render_license(request, license, errors={field: exc.message}, posted=posted, status=exc.status)
    request.session[NEW_SHARE_SESSION_KEY] = {"license": license.pk, "share": share.pk, "token": token}
    messages.success(request, f"分享链接已生成，{timezone.localtime(share.expires_at):%Y年%m月%d日 %H:%M}前有效。")
    return redirect(_license_url(license.pk) + "#share")


@never_cache
@require_POST
@citizen_required
def share_revoke(request: HttpRequest, share_id: int) -> HttpResponse:
    """撤销分享链接: at once; whoever holds the link then sees that it is no longer valid."""
    try:
        share = services.share_revoke(actor=_user(request), share_id=share_id)  # the holder's own links only
    except DomainError as exc:
        return _problem(request, exc)
    messages.success(request, "分享链接已撤销。")
    return redirect(_license_url(share.license_id) + "#share")


# --- 异议 ----------------------------------------------------------------------------------------------------


@never_cache
@require_POST
@citizen_required
def dispute_raise(request: HttpRequest, license_id: int) -> HttpResponse:
    """提出异议: the issuing department answers by correcting the licence or with its reasons."""
    try:
        license = _own_license(request, license_id)
    except DomainError as exc:
        return _problem(request, exc)
    reason = request.POST.get("reason", "")
    try:
        services.dispute_raise(actor=_user(request), license_id=license.pk, reason=reason)
    except DomainError as exc:
        # a reason too short or too long, or a dispute already open: said next to the reason box
        return _render_license(
            request, license, errors={"reason": exc.message}, posted={"reason": reason}, status=exc.status
        )
    messages.success(request, f"异议已提交，{license.issuer.name}将处理并答复。")
    return redirect(_license_url(license.pk) + "#disputes")


# --- 分享链接 (public) ---------------------------------------------------------------------------------------


def _no_referrer(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"  # the token is in the path
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """The licence a holder shared: face data in clear and the signed PDF, while the link lives."""
    try:
        license = services.share_open(token=token)
    except DomainError:
        return _no_referrer(render(request, "licenses/shared_gone.html", status=404))
    context = {**_card(license), "face_rows": _face_rows(license), "token": token}  # type and issuer: loaded
    return _no_referrer(render(request, "licenses/shared.html", context))


@never_cache
@require_GET
def shared_pdf(request: HttpRequest, token: str) -> HttpResponse:
    """The signed PDF through a shared link (counted and logged like an opening of the page)."""
    try:
        license = services.share_open(token=token)
    except DomainError:
        return _no_referrer(render(request, "licenses/shared_gone.html", status=404))
    license = License.objects.select_related("type", "pdf").get(pk=license.pk)
    return _no_referrer(_pdf_response(license))
