"""Staff pages of 事项管理: my items, the draft editor, submitting, the review queue, version diffs.

Every write calls the same catalog service as the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from yiwang.accounts.permissions import Action, user_can
from yiwang.catalog import selectors, services
from yiwang.catalog.choices import ChangeKind, ChangeRequestState
from yiwang.catalog.diff import content_diff
from yiwang.catalog.forms import SECTIONS, DraftForm, content_from_form, initial_from_content
from yiwang.catalog.models import ChangeRequest
from yiwang.core.errors import DomainError
from yiwang.core.forms import add_domain_error
from yiwang.workbench.views import staff_required

LIST_LIMIT = 300


def _require(request: HttpRequest, action: str) -> None:
    if not user_can(request.user, action):
        raise PermissionDenied


@staff_required
def item_list(request: HttpRequest) -> HttpResponse:
    _require(request, Action.CATALOG_EDIT)
    items = selectors.items_for_user(user=request.user).order_by("department__name", "task_code")
    state = request.GET.get("state", "")
    if state:
        items = items.filter(state=state)
    return render(
        request,
        "workbench/catalog_list.html",
        {"items": items[:LIST_LIMIT], "state": state, "can_review": user_can(request.user, Action.CATALOG_REVIEW)},
    )


@staff_required
def item_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    """草稿编辑: save (with the revision the editor loaded), see what keeps it from being submitted."""
    _require(request, Action.CATALOG_EDIT)
    try:
        item = selectors.item_get_for_user(user=request.user, item_id=item_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    draft = item.draft
    form = DraftForm(request.POST or None, initial=initial_from_content(draft.content, draft.revision))
    if request.method == "POST" and form.is_valid():
        try:
            services.draft_update(
                actor=request.user,
                item_id=item.pk,
                content=content_from_form(form.cleaned_data, draft.content),
                revision=form.cleaned_data["revision"],
            )
            messages.success(request, "草稿已保存。")
            return redirect("workbench:catalog_edit", item_id=item.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    sections = [(legend, [form[name] for name in names]) for legend, names in SECTIONS]
    return render(
        request,
        "workbench/catalog_edit.html",
        {
            "item": item,
            "form": form,
            "sections": sections,
            "problems": services.validation_report(draft.content),
            "versions": selectors.versions_of(item=item),
            "changes": ChangeRequest.objects.filter(item=item).select_related("submitted_by", "reviewed_by")[:20],
            "open_change": ChangeRequest.objects.filter(item=item, state=ChangeRequestState.SUBMITTED).first(),
        },
    )


@staff_required
@require_POST
def item_submit(request: HttpRequest, item_id: int) -> HttpResponse:
    _require(request, Action.CATALOG_EDIT)
    kind = request.POST.get("kind", ChangeKind.PUBLISH)
    try:
        selectors.item_get_for_user(user=request.user, item_id=item_id)
        services.change_submit(actor=request.user, item_id=item_id, kind=kind, reason=request.POST.get("reason", ""))
        messages.success(request, "已提交审核。")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("workbench:catalog_edit", item_id=item_id)


@staff_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _require(request, Action.CATALOG_REVIEW)
    return render(
        request, "workbench/catalog_review_queue.html", {"changes": selectors.review_queue_for_user(user=request.user)}
    )


@staff_required
def review(request: HttpRequest, change_id: int) -> HttpResponse:
    """审核: the element-level difference against the version in effect, then approve or return."""
    _require(request, Action.CATALOG_REVIEW)
    change = selectors.review_queue_for_user(user=request.user).filter(pk=change_id).first()
    if change is None:
        raise Http404("变更申请不存在或已审核")
    if request.method == "POST":
        decision = request.POST.get("decision")
        comment = request.POST.get("comment", "")
        try:
            if decision == "approve":
                services.change_approve(actor=request.user, change_id=change.pk, comment=comment)
                messages.success(request, f"“{change.item.entry.name}”已发布。")
            else:
                services.change_return(actor=request.user, change_id=change.pk, comment=comment)
                messages.success(request, "已退回，部门修改后可再次提交。")
            return redirect("workbench:catalog_review_queue")
        except DomainError as exc:
            messages.error(request, exc.message)
    current = change.item.current_version
    diff = content_diff(current.content if current else None, change.content) if change.content else []
    return render(request, "workbench/catalog_review.html", {"change": change, "current": current, "diff": diff})


@staff_required
def version_diff(request: HttpRequest, item_id: int) -> HttpResponse:
    _require(request, Action.CATALOG_EDIT)
    try:
        item = selectors.item_get_for_user(user=request.user, item_id=item_id)
        old = int(request.GET.get("old", "0"))
        new = int(request.GET.get("new", "0"))
    except (DomainError, ValueError) as exc:
        raise Http404 from exc
    versions = {v.number: v for v in selectors.versions_of(item=item).filter(number__in=[old, new])}
    if old not in versions or new not in versions:
        raise Http404("版本不存在")
    diff = content_diff(versions[old].content, versions[new].content)
    return render(
        request, "workbench/catalog_diff.html", {"item": item, "old": versions[old], "new": versions[new], "diff": diff}
    )
