"""Every write to a case: one function per transition (CONVENTIONS rule 3).

Each transition checks who may do it, locks the case row (``select_for_update``), checks the state,
returns early or refuses when nothing may change, sets the new state, saves with ``update_fields``,
appends exactly one ``CaseEvent`` (and one audit row), and runs side effects (messages, result issuing)
in ``transaction.on_commit``. Pages, the API and the department interface call these functions and
nothing else, so a case behaves the same whichever door it came through.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.constants import OnConflict
from django.utils import timezone

from yiwang.accounts.choices import UserKind
from yiwang.accounts.models import LegalPerson, NaturalPerson
from yiwang.accounts.permissions import Action, department_q, scope_reaches, scopes_for
from yiwang.accounts.selectors import agent_grant_active, person_list_for_user
from yiwang.accounts.services import agent_authorisation_use
from yiwang.audit.services import record
from yiwang.cases import deadlines, notify
from yiwang.cases.choices import (
    AcceptMode,
    ApplicantKind,
    CaseState,
    Channel,
    CheckState,
    Decision,
    DeliveryMethod,
    EventAction,
    MaterialStatus,
    NoticeKind,
    StepState,
)
from yiwang.cases.exemptions import Exemption, exemption_find
from yiwang.cases.models import (
    ApplicationDraft,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseNotice,
    CaseStep,
    CommitmentCheck,
    SpecialProcedure,
    Urge,
)
from yiwang.cases.selectors import applicant_case_q, staff_may_case, today
from yiwang.catalog.choices import ItemState, Necessity, SpecialProcedureType
from yiwang.catalog.models import ItemVersion, ServiceItem
from yiwang.core import clock, crypto
from yiwang.core.errors import DomainError, ErrorCode, FieldError, not_found, permission_denied
from yiwang.core.prepared import (
    PreparedDelete,
    PreparedQuery,
    PreparedUpdate,
    row_insert,
    row_update,
    rows_insert,
    sql_write,
    writes_together,
)
from yiwang.files.models import Upload
from yiwang.regions.models import Department, Window

P = ParamSpec("P")

FORM_CONTEXT = "cases.Case.form"
ADDRESS_CONTEXT = "cases.Case.address"
DRAFT_CONTEXT = "cases.ApplicationDraft.form"
DEFERRED_DEFAULT_DAYS = 5  # 容缺后补 default: five working days after 受理
CHECK_DEFAULT_DAYS = 20  # 告知承诺核查 default: twenty working days after 受理
EXTENSION_MAX_DAYS = 10  # 行政许可法 Art. 42: 经本行政机关负责人批准，可以延长十日
EXTENSION_MAX_DAYS_JOINT = 15  # Art. 42: 统一/联合/集中办理 +15 日
SYSTEM_NAME = "系统（秒批）"


# --- small helpers ---------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return clock.now()


def _text(value: str, *, field: str, label: str, min_length: int = 1, max_length: int = 2000) -> str:
    value = (value or "").strip()
    if len(value) < min_length:
        raise DomainError(
            ErrorCode.VALIDATION,
            f"请填写{label}" + (f"（至少{min_length}个字）" if min_length > 1 else ""),
            field=field,
        )
    if len(value) > max_length:
        raise DomainError(ErrorCode.VALIDATION, f"{label}不能超过{max_length}个字", field=field)
    return value


def _actor_name(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return SYSTEM_NAME
    return (getattr(actor, "display_name", "") or actor.get_username())[:100]


# Pinned item versions by (id, content hash, item id): ``content`` and ``content_hash`` never change after
# insert (``ItemVersion``), so a transition need not load and parse the version's JSON again. The hash is in
# the key because test databases (and a restored backup) reuse ids for other versions.
_VERSIONS: dict[tuple[int, str, int], ItemVersion] = {}
_VERSIONS_MAX = 512


def _pinned_version(version_id: int, content_hash: str, item_id: int, effective_until: dt.date | None) -> ItemVersion:
    """A private copy of the pinned version (the content dict is shared and read only)."""
    key = (version_id, content_hash, item_id)
    cached = _VERSIONS.get(key)
    if cached is None:
        cached = ItemVersion.objects.get(pk=version_id)
        if len(_VERSIONS) >= _VERSIONS_MAX:
            _VERSIONS.clear()
        _VERSIONS[key] = cached
    version = copy.copy(cached)
    version.effective_until = effective_until  # the one column that changes once (superseded, cancelled)
    return version


_LOCKED_CASE: PreparedQuery[Any] = PreparedQuery(  # compiled once: building this SQL cost more than running it
    lambda case_id: (
        Case.objects.select_for_update(of=("self",))
        .annotate(
            pinned_content_hash=F("version__content_hash"),
            pinned_effective_until=F("version__effective_until"),
            department_region_path=F("department__region__path"),  # permission checks need no query
        )
        .filter(pk=case_id)
        .order_by()[:1]
    )
)


def _lock(case_id: int) -> Case:
    """The case row, locked until the transaction ends: concurrent transitions on one case queue here,
    and the second one sees the state the first one left (so exactly one of two equal actions wins).

    Only the case row is read (with its version's hash and its department's region path); the version
    comes from ``_VERSIONS``, and the department and the item are loaded when something asks for them.
    """
    rows = _LOCKED_CASE.rows(case_id)
    if not rows:
        raise not_found("办件")
    row = rows[0]
    row.version = _pinned_version(row.version_id, row.pinned_content_hash, row.item_id, row.pinned_effective_until)
    case: Case = row
    return case


def _state_error(case: Case, doing: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_STATE, f"办件当前状态为“{case.get_state_display()}”，不能{doing}")


def _require_state(case: Case, states: Sequence[str], doing: str) -> None:
    if case.state not in states:
        raise _state_error(case, doing)


def _department_path(case: Case | None) -> str | None:
    """The region path of the case's own department, when ``_lock`` read it with the row."""
    return getattr(case, "department_region_path", None)


def _staff_may(actor: Any, case: Case, action: str) -> None:
    allowed = staff_may_case(
        actor, action, case_id=case.pk, department_id=case.department_id, department_path=_department_path(case)
    )
    if not allowed:
        raise permission_denied("您不能办理该办件（不在您的区划或部门范围内）")


def _applicant_may(actor: Any, case: Case) -> None:
    if not Case.objects.filter(applicant_case_q(actor), pk=case.pk).exists():
        raise not_found("办件")


def _handles(actor: Any, department_id: int, case: Case | None = None) -> bool:
    return department_id in _handled(actor, {department_id}, case)


def _handled(actor: Any, department_ids: set[int], case: Case | None = None) -> set[int]:
    """Which of ``department_ids`` ``actor`` handles cases of (审批): the case's own department (region path
    read by ``_lock``) without a query, the others (联办) in one query for all of them."""
    if not department_ids:
        return set()
    handled: set[int] = set()
    rest = set(department_ids)
    path = _department_path(case)
    if case is not None and path is not None and case.department_id in rest:
        rest.discard(case.department_id)
        if scope_reaches(actor, Action.CASE_HANDLE, department_id=case.department_id, region_path=path):
            handled.add(case.department_id)
    if rest:
        q = department_q(actor, Action.CASE_HANDLE)
        handled.update(Department.objects.filter(q, pk__in=rest).values_list("pk", flat=True))
    return handled


def _event(
    case: Case,
    *,
    action: str,
    from_state: str,
    actor: Any,
    save: Sequence[str] | None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """Append the case's next event and its audit row, and save the case: the fields in ``save`` (those the
    transition changed) and ``last_event_seq`` — the three writes in one round trip on PostgreSQL
    (``writes_together``; the event's id is set at its end). ``save=None``: the row already holds
    everything, the event's number included, as the submission inserts it complete with its first event's."""
    if save is not None:
        case.last_event_seq += 1
    seq = case.last_event_seq
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    changes: dict[str, Any] = {"event": seq}
    if from_state != case.state:
        changes["state"] = [from_state, case.state]
    with writes_together():
        event = row_insert(
            CaseEvent(
                case=case,
                seq=seq,
                action=action,
                from_state=from_state,
                to_state=case.state,
                actor=user,
                actor_name=_actor_name(actor),
                reason=reason,
                data=data or {},
                at=at or _now(),
            )
        )
        record(actor=user, action=f"case.{action}", target=case, changes=changes)
        if save is not None:
            row_update(case, [*save, "last_event_seq"])  # save(update_fields=…) with its SQL built once
    return event


_NOTICES_OF_CASE: PreparedQuery[CaseNotice] = PreparedQuery(
    lambda case_id: CaseNotice.objects.filter(case_id=case_id).only("pk").order_by()
)


def _notice(case: Case, *, kind: str, actor: Any, paragraphs: list[str], items: list[str] | None = None) -> CaseNotice:
    count = len(_NOTICES_OF_CASE.rows(case.pk))  # a handful per case: their ids, compiled once
    return row_insert(
        CaseNotice(
            case=case,
            kind=kind,
            number=f"{case.number}-N{count + 1:03d}",
            paragraphs=paragraphs,
            items=items or [],
            issued_at=_now(),
            issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    )


def _content(case: Case) -> dict[str, Any]:
    return case.version.content


def _remedies(content: Mapping[str, Any]) -> str:
    remedies = content.get("remedies") or {}
    return (
        f"如不服本决定，可以在收到本通知之日起六十日内向{remedies.get('reconsideration', '')}申请行政复议，"
        f"或者在六个月内向{remedies.get('litigation', '')}提起行政诉讼。"
    )


def case_form(case: Case) -> dict[str, Any]:
    """The decrypted application form (callers that show it to staff audit the read)."""
    return json.loads(crypto.decrypt(case.form_cipher, context=FORM_CONTEXT))


def _upload_ok(actor: Any) -> Any:
    def check(upload_id: int) -> bool:
        return upload_id in _owned_upload_ids(getattr(actor, "pk", None), {upload_id})

    return check


def _validate_form(case_content: Mapping[str, Any], data: Any, actor: Any) -> dict[str, Any]:
    from yiwang.cases.form_data import form_validate

    return form_validate(fields=list(case_content.get("form") or []), data=data or {}, upload_ok=_upload_ok(actor))


_UPLOADS_PER_QUERY = 16


@functools.lru_cache(maxsize=_UPLOADS_PER_QUERY)  # one per list length: never evicted
def _owned_uploads(count: int) -> PreparedQuery[Upload]:
    return PreparedQuery(
        lambda owner, *ids: Upload.objects.filter(pk__in=ids, uploader_id=owner).only("pk").order_by(),
        arity=count + 1,
    )


def _owned_upload_ids(owner_id: int | None, ids: set[int]) -> set[int]:
    """Which of ``ids`` are uploads of ``owner_id``: a prepared ``IN`` list per 16 ids (a submission names
    a few; any number is checked, in as many queries as it takes)."""
    ordered = sorted(ids)
    owned: set[int] = set()
    for start in range(0, len(ordered), _UPLOADS_PER_QUERY):
        chunk = ordered[start : start + _UPLOADS_PER_QUERY]
        owned.update(u.pk for u in _owned_uploads(len(chunk)).rows(owner_id, *chunk))
    return owned


def _valid_uploads(actor: Any, materials: Mapping[str, Any] | None, known: set[str]) -> dict[str, list[int]]:
    """``{material code: [upload id, …]}`` checked: known codes, uploads owned by ``actor``."""
    if materials is None:
        return {}
    if not isinstance(materials, Mapping):
        raise DomainError(ErrorCode.VALIDATION, "材料应为“材料编码: 文件编号列表”", field="materials")
    cleaned: dict[str, list[int]] = {}
    errors: list[FieldError] = []
    wanted: set[int] = set()
    for code, ids in materials.items():
        if code not in known:
            errors.append(FieldError(field=f"materials.{code}", message=f"该事项没有编码为“{code}”的材料"))
            continue
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            errors.append(FieldError(field=f"materials.{code}", message="应为文件编号列表"))
            continue
        if ids:
            cleaned[code] = list(dict.fromkeys(ids))
            wanted.update(ids)
    if wanted:
        owned = _owned_upload_ids(getattr(actor, "pk", None), wanted)
        for code, ids in cleaned.items():
            if any(i not in owned for i in ids):
                errors.append(FieldError(field=f"materials.{code}", message="文件不存在或不属于您，请重新上传"))
    if errors:
        raise DomainError(ErrorCode.VALIDATION, "申请材料有误，请按提示修改", errors=errors)
    return cleaned


def _valid_paper(paper: Mapping[str, Any] | None, known: set[str]) -> dict[str, tuple[int, int]]:
    """Paper received at the window: ``{material code: [原件份数, 复印件份数]}``."""
    if not paper:
        return {}
    cleaned: dict[str, tuple[int, int]] = {}
    errors: list[FieldError] = []
    for code, counts in paper.items():
        ok = (
            code in known
            and isinstance(counts, list | tuple)
            and len(counts) == 2
            and all(isinstance(n, int) and 0 <= n <= 99 for n in counts)
        )
        if not ok:
            errors.append(FieldError(field=f"paper.{code}", message="收取份数应为0至99的原件份数和复印件份数"))
        elif counts[0] or counts[1]:
            cleaned[code] = (counts[0], counts[1])
    if errors:
        raise DomainError(ErrorCode.VALIDATION, "纸质材料收取份数有误", errors=errors)
    return cleaned


def _payload_hash(**parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def case_number_next(*, code: str, on: dt.date) -> str:
    """办件编号 ``<实施编码><yyyyMMdd><serial>`` (STANDARDS §1.1; at least 4 digits, ≤ 50 chars).

    The serial comes from one upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``) on a counter row
    per prefix: the database serialises concurrent submissions on that row, so no two get the same serial
    and no serial is skipped by a retry that rolls back.
    """
    prefix = f"{code}{on:%Y%m%d}"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_casenumbercounter (prefix, last) VALUES (%s, 1) "
            "ON CONFLICT (prefix) DO UPDATE SET last = cases_casenumbercounter.last + 1 RETURNING last",
            [prefix],
        )
        serial = cursor.fetchone()[0]
    number = f"{prefix}{serial:04d}"
    if len(number) > 50:
        raise DomainError(ErrorCode.CONFLICT, "办件编号超过50位，当日序号已用尽")
    return number


# --- 申请 (submission) -------------------------------------------------------------------------------------


_ITEM_FOR_SUBMIT: PreparedQuery[Any] = PreparedQuery(
    lambda item_id: (
        ServiceItem.objects.select_related("department", "department__region")
        .annotate(
            current_content_hash=F("current_version__content_hash"),
            current_effective_until=F("current_version__effective_until"),
        )
        .filter(pk=item_id)
        .order_by()[:1]
    )
)
_CASE_OF_KEY: PreparedQuery[Case] = PreparedQuery(  # the idempotency probe: the id only
    lambda user_id, key: Case.objects.filter(submitted_by_id=user_id, idempotency_key=key).only("pk").order_by()[:1],
    2,
)
_DRAFT_DELETE = PreparedDelete(  # the application is in: its draft (on any device) is done with
    lambda user_id, item_id, identity: ApplicationDraft.objects.filter(
        owner_id=user_id, item_id=item_id, identity=identity
    ),
    3,
)


def _case_of_key(actor: Any, key: str) -> Case | None:
    """The case ``actor`` submitted with idempotency key ``key``: a narrow probe first, so a first submission
    (the usual) reads no case row at all."""
    seen = _CASE_OF_KEY.rows(actor.pk, key)
    return Case.objects.get(pk=seen[0].pk) if seen else None


_PERSON_OF_USER: PreparedQuery[NaturalPerson] = PreparedQuery(
    lambda user_id: NaturalPerson.objects.filter(user_id=user_id).order_by()[:1]  # one-to-one
)


def _published_item(item_id: int) -> tuple[ServiceItem, ItemVersion]:
    rows = _ITEM_FOR_SUBMIT.rows(item_id)
    if not rows:
        raise not_found("事项")
    item = rows[0]
    if item.state != ItemState.PUBLISHED or item.current_version_id is None:
        raise DomainError(ErrorCode.INVALID_STATE, "该事项未发布或已取消，不能申请", field="item_id")
    version = _pinned_version(
        item.current_version_id,
        item.current_content_hash,
        item.pk,
        item.current_effective_until,
    )
    item.current_version = version
    return item, version


def _own_person(actor: Any) -> NaturalPerson:
    rows = _PERSON_OF_USER.rows(actor.pk)
    person = rows[0] if rows else None
    if person is None:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "请先完成实名登记后再申请")
    return person


def _applicant(
    *,
    actor: Any,
    item: ServiceItem,
    channel: str,
    enterprise_id: int | None,
    principal_id: int | None,
    person_id: int | None,
) -> tuple[NaturalPerson | None, LegalPerson | None, bool]:
    """Who applies: (person, enterprise, acting for a principal). Checks the actor may apply for them."""
    enterprise = None
    if enterprise_id is not None:
        enterprise = LegalPerson.objects.filter(pk=enterprise_id).first()
        if enterprise is None:
            raise DomainError(ErrorCode.VALIDATION, "申请单位不存在", field="enterprise_id")
    if channel == Channel.ONLINE:
        if actor is None or getattr(actor, "kind", None) != UserKind.CITIZEN:
            raise permission_denied("网上申请须以办事群众账号登录")
        if person_id is not None:
            raise DomainError(
                ErrorCode.VALIDATION, "网上申请不能指定申请人，请以本人或授权的身份办理", field="person_id"
            )
        if enterprise is not None:
            if not agent_grant_active(user=actor, enterprise=enterprise, item_code=item.code):
                raise permission_denied("您不是该企业的法定代表人，或没有该事项的有效经办授权")
            return _own_person(actor), enterprise, False
        if principal_id is not None:
            principal = NaturalPerson.objects.filter(pk=principal_id).first()
            if principal is None:
                raise DomainError(ErrorCode.VALIDATION, "委托人不存在", field="principal_id")
            return principal, None, True
        return _own_person(actor), None, False
    # 窗口 / 部门系统: a staff account with 受理 rights over the item's department.
    in_scope = Department.objects.filter(department_q(actor, Action.CASE_ACCEPT), pk=item.department_id).exists()
    if not in_scope:
        raise permission_denied("该事项的实施部门不在您的受理区划内")
    # Only a person the clerk (or the department system's account) may see: found by ID number or registered
    # by him — never an id guessed from outside.
    visible = person_list_for_user(user=actor)
    person = visible.filter(pk=person_id).first() if person_id is not None else None
    if person_id is not None and person is None:
        raise DomainError(ErrorCode.VALIDATION, "申请人不存在或不在您的查看范围内，请先查找或登记", field="person_id")
    if person is None and enterprise is None:
        raise DomainError(ErrorCode.VALIDATION, "请先查找或登记申请人", field="person_id")
    return person, enterprise, False


class _KeyTaken(Exception):
    """A concurrent submission with the same idempotency key inserted its case first."""

    def __init__(self, actor: Any, key: str, payload: str) -> None:
        super().__init__(key)
        self.actor, self.key, self.payload = actor, key, payload


def _answer_lost_key_race(submit: Callable[P, Case]) -> Callable[P, Case]:
    """Around ``submit``'s transaction: when a concurrent submission with the same idempotency key won the
    insert, this one has rolled back whole (its case-number serial too, so no serial is skipped) and is
    answered with the winner's case, as a replay would be."""

    @functools.wraps(submit)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Case:
        try:
            return submit(*args, **kwargs)
        except _KeyTaken as taken:
            existing = _case_of_key(taken.actor, taken.key)
            if existing is None:
                # No winner: PostgreSQL would have written our row had it rolled back, so another constraint
                # skipped it (SQLite's INSERT OR IGNORE skips any): a fault to report, not a conflict.
                raise IntegrityError("办件未能写入（不是幂等键冲突）") from None
            return _idempotent_replay(existing, taken.payload)

    return wrapper


@_answer_lost_key_race
@transaction.atomic
def case_submit(
    *,
    actor: Any,
    item_id: int,
    form: Mapping[str, Any] | None,
    materials: Mapping[str, Any] | None = None,
    channel: str = Channel.ONLINE,
    idempotency_key: str = "",
    enterprise_id: int | None = None,
    principal_id: int | None = None,
    person_id: int | None = None,
    window_id: int | None = None,
    paper: Mapping[str, Any] | None = None,
    delivery_method: str = "",
    pickup_window_id: int | None = None,
    address: str = "",
    commitment_signed: bool = False,
) -> Case:
    """提交申请 (online, at a window, or from a department system): one case, one number, one event.

    With ``idempotency_key``, a retried submission returns the case the first one made — even when the
    two arrive at the same moment (the partial unique constraint decides; the loser rolls back and reads
    the winner). The same key with a different application is refused.
    """
    if channel not in Channel.values:
        raise DomainError(ErrorCode.VALIDATION, "申报渠道不正确", field="channel")
    key = (idempotency_key or "").strip()
    if len(key) > 64 or (key and not all(c.isalnum() or c in "-_:." for c in key)):
        raise DomainError(ErrorCode.VALIDATION, "幂等键应为不超过64位的字母、数字或 - _ : .", field="idempotency_key")
    payload = _payload_hash(
        item=item_id,
        form=form,
        materials=materials,
        enterprise=enterprise_id,
        principal=principal_id,
        person=person_id,
        paper=paper,
        commitment=bool(commitment_signed),
    )
    if key:
        # A narrow probe first: a first submission (the usual) reads no case row at all.
        existing = _case_of_key(actor, key)
        if existing is not None:
            existing = _idempotent_replay(existing, payload)
            existing.replayed = True  # type: ignore[attr-defined]  # the API answers 200 instead of 201
            return existing

    item, version = _published_item(item_id)
    content = version.content
    person, enterprise, for_principal = _applicant(
        actor=actor,
        item=item,
        channel=channel,
        enterprise_id=enterprise_id,
        principal_id=principal_id,
        person_id=person_id,
    )
    if enterprise is not None and not version.for_organisations:
        raise DomainError(ErrorCode.VALIDATION, "该事项只面向个人办理，不能以单位名义申请", field="enterprise_id")
    if enterprise is None and not version.for_persons:
        raise DomainError(
            ErrorCode.VALIDATION, "该事项只面向法人和其他组织，请切换为企业身份办理", field="enterprise_id"
        )
    window = None
    if window_id is not None:
        window = Window.objects.filter(pk=window_id).first()
        if window is None:
            raise DomainError(ErrorCode.VALIDATION, "受理窗口不存在", field="window_id")

    cleaned_form = _validate_form(content, form, actor)
    known = {m["code"] for m in content.get("materials") or []}
    uploads = _valid_uploads(actor, materials, known)
    paper_counts = _valid_paper(paper, known) if channel != Channel.ONLINE else {}
    exemptions = {
        m["code"]: found
        for m in content.get("materials") or []
        if m["code"] not in uploads
        and m["code"] not in paper_counts
        and (found := exemption_find(person=person, enterprise=enterprise, material=m)) is not None
    }
    missing_required = [
        m["name"]
        for m in content.get("materials") or []
        if m.get("necessity") == Necessity.REQUIRED
        and m["code"] not in exemptions
        and m["code"] not in uploads
        and m["code"] not in paper_counts
    ]
    if content.get("commitment") and missing_required and channel == Channel.ONLINE and not commitment_signed:
        raise DomainError(
            ErrorCode.VALIDATION,
            "请上传必要材料，或签署告知承诺书后以承诺方式办理：" + "、".join(missing_required),
            field="commitment_signed",
        )
    if commitment_signed and not content.get("commitment"):
        raise DomainError(ErrorCode.VALIDATION, "该事项不适用告知承诺", field="commitment_signed")
    if channel == Channel.ONLINE and missing_required and not content.get("commitment"):
        raise DomainError(
            ErrorCode.VALIDATION,
            "请上传必要材料：" + "、".join(missing_required),
            errors=[
                FieldError(field=f"materials.{m['code']}", message=f"请上传“{m['name']}”")
                for m in content.get("materials") or []
                if m["name"] in missing_required
            ],
        )

    now = _now()
    if channel == Channel.ONLINE:
        # The application is in: its draft (on any device) is done with. Deleted before the number is drawn:
        # the counter row stays locked from the draw to the commit, so as little as can comes after it.
        _DRAFT_DELETE.run(actor.pk, item.pk, draft_identity(enterprise_id=enterprise_id, principal_id=principal_id))
    applicant_name = enterprise.name if enterprise is not None else (person.name if person else "")
    case = Case(
        item=item,
        version=version,
        department=item.department,
        channel=channel,
        state=CaseState.SUBMITTED,
        summary=f"{applicant_name}申请{version.name}"[:300],
        applicant_kind=ApplicantKind.ENTERPRISE if enterprise is not None else ApplicantKind.PERSON,
        applicant_person=person,
        applicant_enterprise=enterprise,
        applicant_name=applicant_name,
        submitted_by=actor,
        form_cipher=crypto.encrypt(json.dumps(cleaned_form, ensure_ascii=False), context=FORM_CONTEXT),
        idempotency_key=key,
        payload_hash=payload,
        lookup_code=f"{secrets.randbelow(10**6):06d}",
        submitted_at=now,
        window=window,
        warning_days=int(content.get("warning_days", 1)),
        commitment_signed=bool(commitment_signed),
        last_event_seq=1,  # 申请, written below once the row has its id, is the case's first event
    )
    if delivery_method:  # checked before the case exists, stored with its row
        _set_delivery(case, method=delivery_method, window_id=pickup_window_id, address=address)
    elif channel == Channel.WINDOW and window is not None:
        _set_delivery(case, method=DeliveryMethod.PICKUP, window_id=window.pk, address="")
    case.number = case_number_next(code=item.code, on=timezone.localdate(now))  # drawn last (see above)
    if key:
        # No savepoint: with a concurrent submission of the same key this insert writes nothing, and the
        # whole transaction rolls back for ``_answer_lost_key_race`` to answer with the winner's case.
        if row_insert(case, skip_conflicts=True) is None:
            raise _KeyTaken(actor, key, payload)
    else:
        row_insert(case)
    if for_principal and person is not None:
        case.authorisation = agent_authorisation_use(
            actor=actor, principal=person, item_code=item.code, act="case.submit", target=case
        )
        row_update(case, ["authorisation"])
    with writes_together():  # the materials, their uploads, the event, its audit row: one round trip on PostgreSQL
        material_rows = _create_materials(case, content, uploads, paper_counts, exemptions, now)
        _link_uploads(case, uploads)
        _event(
            case,
            action=EventAction.SUBMIT,
            from_state="",
            actor=actor,
            save=None,  # the row was inserted complete, last_event_seq=1 included
            data={"channel": channel},
            at=now,
        )
    _materials_known(case, material_rows)
    for exemption in exemptions.values():
        if exemption.record is not None:
            exemption.record(case, actor)  # 用证记录: the licence's holder sees this use
    if version.auto_approval and content.get("auto_rules"):
        _auto_decide(case, cleaned_form, content, person, enterprise)
    return case


def _idempotent_replay(existing: Case, payload: str) -> Case:
    if existing.payload_hash != payload:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"该幂等键已用于另一份申请（办件编号 {existing.number}），请换一个幂等键",
            field="idempotency_key",
        )
    return existing


def _create_materials(
    case: Case,
    content: Mapping[str, Any],
    uploads: Mapping[str, list[int]],
    paper: dict[str, tuple[int, int]],
    exemptions: Mapping[str, Exemption],
    now: dt.datetime,
) -> list[CaseMaterial]:
    """The case's materials, one row per material of the item (ids set at the end of ``writes_together``)."""
    rows = []
    for m in content.get("materials") or []:
        code = m["code"]
        exemption = exemptions.get(code)
        given = code in uploads or code in paper
        status = MaterialStatus.PROVIDED if given else (MaterialStatus.EXEMPT if exemption else MaterialStatus.ABSENT)
        originals, copies = paper.get(code, (0, 0))
        rows.append(
            CaseMaterial(
                case=case,
                code=code,
                name=m["name"],
                necessity=m.get("necessity", Necessity.REQUIRED),
                status=status,
                originals_received=originals,
                copies_received=copies,
                supplied_at=now if given else None,
                exempt_note=exemption.note[:300] if exemption and not given else "",
            )
        )
    return rows_insert(rows)  # bulk_create with its SQL built once


def _materials_known(case: Case, rows: list[CaseMaterial]) -> None:
    """``case.materials.all()`` answers ``rows`` without a query, as after ``prefetch_related("materials")``
    (Django's own cache; a later ``filter`` still queries). ``_accept`` drops it when it settles them."""
    cached = case.materials.get_queryset()
    cached._result_cache = sorted(rows, key=lambda row: row.pk)  # the model's order: case, id
    cached._prefetch_done = True  # type: ignore[attr-defined]  # what prefetch_related_objects sets
    case.__dict__.setdefault("_prefetched_objects_cache", {})["materials"] = cached


@functools.lru_cache(maxsize=64)  # per vendor and number of links: a submission links a few
def _link_sql(vendor: str, links: int) -> str:
    """``INSERT … SELECT`` of ``links`` (material code, upload id) pairs into the materials' upload links,
    each code taken to the case's material row of that code (unique per case); a link that exists is kept."""
    ops: Any = connection.ops
    quote = ops.quote_name
    through: Any = CaseMaterial.uploads.through
    material: Any = CaseMaterial._meta  # django-stubs types a field's column as optional
    links_table, material_column, upload_column = (
        quote(through._meta.db_table),
        quote(through._meta.get_field("casematerial").column),
        quote(through._meta.get_field("upload").column),
    )
    pk, code, case = (quote(material.get_field(name).column) for name in ("id", "code", "case"))
    values = ", ".join(["(%s, %s)"] * links)  # columns column1, column2 on both databases
    insert = ops.insert_statement(on_conflict=OnConflict.IGNORE)  # INSERT OR IGNORE INTO on SQLite
    suffix = ops.on_conflict_suffix_sql([], OnConflict.IGNORE, None, None)  # ON CONFLICT DO NOTHING on PostgreSQL
    return (  # the names are the models' own, quoted; every value is a parameter
        f"{insert} {links_table} ({material_column}, {upload_column}) "  # noqa: S608
        f"SELECT m.{pk}, v.column2 FROM {quote(material.db_table)} m "
        f"JOIN (VALUES {values}) AS v ON m.{code} = v.column1 "
        f"WHERE m.{case} = %s {suffix}"  # a WHERE: SQLite reads an upsert after a SELECT only so
    ).rstrip()


def _link_uploads(case: Case, uploads: Mapping[str, list[int]]) -> None:
    """The uploads of each material of ``case``, linked by the material's code: one ``INSERT … SELECT`` that
    finds the material rows itself, so it can go in the ``writes_together`` block that inserts them (their
    ids come back only at the block's end)."""
    pairs = [(code, upload_id) for code, ids in uploads.items() for upload_id in ids]
    if pairs:
        sql_write(_link_sql(connection.vendor, len(pairs)), [*(v for pair in pairs for v in pair), case.pk])


# --- 秒批 -------------------------------------------------------------------------------------------------


def _auto_decide(
    case: Case,
    form: dict[str, Any],
    content: Mapping[str, Any],
    person: NaturalPerson | None,
    enterprise: LegalPerson | None,
) -> None:
    """Let the item's rules decide. A decision needs every required material; a missing fact or material
    leaves the case to people (人工审核), with the reason kept on the case."""
    from yiwang.cases.auto_rules import auto_decide, build_facts

    missing = list(
        case.materials.filter(
            status=MaterialStatus.ABSENT, necessity__in=[Necessity.REQUIRED, Necessity.DEFERRABLE]
        ).values_list("name", flat=True)
    )
    if missing:
        record_json: dict[str, Any] = {
            "outcome": "manual",
            "rule_name": "",
            "reason": "材料不全（" + "、".join(missing) + "），转人工审核",
            "trace": [],
        }
    else:
        facts = build_facts(
            form_data=form, person=person, enterprise=enterprise, on=today(), form=content.get("form") or []
        )
        record_json = auto_decide(rules=content["auto_rules"], facts=facts).as_json()
    case.auto_decision = record_json
    _event(
        case,
        action=EventAction.AUTO_DECIDE,
        from_state=case.state,
        actor=None,
        reason=record_json["reason"],
        data=record_json,
        save=("auto_decision",),
    )
    if record_json["outcome"] in ("approve", "refuse"):
        _accept(case, actor=None, mode=AcceptMode.AUTO)
        decision = Decision.APPROVE if record_json["outcome"] == "approve" else Decision.REFUSE
        _decide(case, actor=None, decision=decision, reason=record_json["reason"])


# --- 受理 -------------------------------------------------------------------------------------------------


def _blocks(steps: Sequence[Mapping[str, Any]]) -> list[int]:
    """The block number of each step: a step marked ``parallel`` joins the block of the step before it."""
    blocks: list[int] = []
    for index, step in enumerate(steps):
        blocks.append(blocks[-1] if index and step.get("parallel") else (blocks[-1] + 1 if blocks else 1))
    return blocks


def _step_department(case: Case, step: Mapping[str, Any]) -> int:
    """The id of the department handling ``step``: the one the item names (by 统一社会信用代码), else the case's."""
    code = step.get("department") or ""
    if code:
        department_id = Department.objects.filter(uscc=code).values_list("pk", flat=True).first()
        if department_id is not None:
            return department_id
    return case.department_id


def _open_block(case: Case, block: int, *, now: dt.datetime, before: Sequence[CaseStep] = ()) -> list[CaseStep]:
    """Open every step of ``block`` (each with its own due date from its limit, counted from today).
    ``before``: rows to insert first in the same statement (the done 受理 step); only the opened are returned."""
    steps = _content(case).get("steps") or []
    blocks = _blocks(steps)
    last_block = blocks[-1]
    on = timezone.localdate(now)
    rows = []
    for position, (step, number) in enumerate(zip(steps, blocks, strict=True)):
        if number != block:
            continue
        due = deadlines.due_date(on, step.get("limit")) if step.get("limit") else case.promise_due
        if due is not None and case.promise_due is not None and step.get("limit"):
            due = min(due, case.promise_due) if number != last_block else case.promise_due
        rows.append(
            CaseStep(
                case=case,
                position=position,
                block=number,
                name=step["name"],
                is_final=number == last_block,
                department_id=_step_department(case, step),
                started_at=now,
                due=due,
                warn_on=deadlines.warn_date(due, case.warning_days) if due else None,
            )
        )
    case.current_block = block
    return rows_insert([*before, *rows])[len(before) :]  # bulk_create with its SQL built once


_MATERIALS_IN_STATUS: PreparedQuery[CaseMaterial] = PreparedQuery(
    lambda case_id, status: CaseMaterial.objects.filter(case_id=case_id, status=status), arity=2
)


def _accept(
    case: Case,
    *,
    actor: Any,
    mode: str,
    deferred_due: dt.date | None = None,
    check_due: dt.date | None = None,
) -> None:
    """The common part of every acceptance: materials settle, the clock starts, the first steps open."""
    now = _now()
    on = timezone.localdate(now)
    content = _content(case)
    absent = _MATERIALS_IN_STATUS.rows(case.pk, MaterialStatus.ABSENT)
    required_absent = [m for m in absent if m.necessity == Necessity.REQUIRED]
    deferrable_absent = [m for m in absent if m.necessity == Necessity.DEFERRABLE]
    changed: list[CaseMaterial] = []
    if mode == AcceptMode.COMMITMENT:
        for m in required_absent + deferrable_absent:
            m.status = MaterialStatus.COMMITTED
            changed.append(m)
    elif required_absent or (deferrable_absent and mode != AcceptMode.DEFERRED):
        names = "、".join(m.name for m in required_absent + (deferrable_absent if mode != AcceptMode.DEFERRED else []))
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"以下材料尚未提交，不能受理：{names}。请出具一次性告知书要求补正"
            + ("，或按容缺受理" if deferrable_absent and not required_absent else ""),
        )
    if mode == AcceptMode.DEFERRED:
        if not deferrable_absent:
            raise DomainError(ErrorCode.VALIDATION, "没有缺少的容缺后补材料，请按一般受理", field="mode")
        due = deferred_due or deadlines.due_date(on, {"value": DEFERRED_DEFAULT_DAYS, "unit": "workday"})
        if due <= on:
            raise DomainError(ErrorCode.VALIDATION, "容缺材料补齐期限应晚于今天", field="deferred_due")
        for m in deferrable_absent:
            m.status = MaterialStatus.DEFERRED
            changed.append(m)
        case.deferred_due = due
    if changed:
        CaseMaterial.objects.bulk_update(changed, ["status"])
        getattr(case, "_prefetched_objects_cache", {}).pop("materials", None)  # rows known at submission
    legal_due = deadlines.due_date(on, content.get("legal_limit"))
    promise_due = min(deadlines.due_date(on, content.get("promise_limit")), legal_due)
    old = case.state
    case.state = CaseState.HANDLING
    case.accept_mode = mode
    case.accepted_at = now
    case.accepted_by = actor if getattr(actor, "is_authenticated", False) else None
    case.legal_due = legal_due
    case.promise_due = promise_due
    case.warn_on = deadlines.warn_date(promise_due, case.warning_days)
    # The item's first step is 受理: this acceptance does it. An item of one single step is decided at
    # that step, so it stays open as the final step.
    steps = content.get("steps") or []
    blocks = _blocks(steps)
    if blocks and blocks[-1] > 1:
        accepted = CaseStep(
            case=case,
            position=0,
            block=1,
            name=steps[0]["name"],
            is_final=False,
            department_id=case.department_id,
            state=StepState.DONE,
            assignee=case.accepted_by,
            started_at=now,
            finished_at=now,
            finished_by=case.accepted_by,
            due=on,
        )
        _open_block(case, 2, now=now, before=[accepted])  # one INSERT for both
    else:
        _open_block(case, 1, now=now)
    if mode == AcceptMode.COMMITMENT:
        CommitmentCheck.objects.create(
            case=case,
            due=check_due or deadlines.due_date(on, {"value": CHECK_DEFAULT_DAYS, "unit": "workday"}),
            created_at=now,
        )
    notice = _notice(
        case,
        kind=NoticeKind.ACCEPTANCE,
        actor=actor,
        paragraphs=[
            f"{case.applicant_name}：",
            f"您于{timezone.localtime(case.submitted_at):%Y年%m月%d日}申请的“{case.version.name}”，经审查，"
            f"申请材料符合受理条件，本机关决定予以受理（{AcceptMode(mode).label}）。",
            f"承诺办结日期：{promise_due:%Y年%m月%d日}；法定办结日期：{legal_due:%Y年%m月%d日}。",
        ]
        + ([f"请于{case.deferred_due:%Y年%m月%d日}前补齐容缺材料。"] if case.deferred_due else []),
        items=[m.name for m in changed if m.status == MaterialStatus.DEFERRED],
    )
    _event(
        case,
        action=EventAction.ACCEPT,
        from_state=old,
        actor=actor,
        data={
            "mode": mode,
            "legal_due": legal_due.isoformat(),
            "promise_due": promise_due.isoformat(),
            "deferred": [m.code for m in changed if m.status == MaterialStatus.DEFERRED],
            "committed": [m.code for m in changed if m.status == MaterialStatus.COMMITTED],
            "notice": notice.number,
        },
        at=now,
        save=(
            "state",
            "accept_mode",
            "accepted_at",
            "accepted_by",
            "legal_due",
            "promise_due",
            "warn_on",
            "deferred_due",
            "current_block",
            "commitment_signed",
        ),
    )
    transaction.on_commit(lambda: notify.case_notice_sent(notice, case))


@transaction.atomic
def case_accept(
    *,
    actor: Any,
    case_id: int,
    mode: str = AcceptMode.NORMAL,
    deferred_due: dt.date | None = None,
    commitment_signed: bool = False,
    check_due: dt.date | None = None,
    paper: Mapping[str, Any] | None = None,
) -> Case:
    """受理 — 一般、容缺 or 告知承诺; a 即办件 is decided (准予) at once by the accepting clerk.

    Two clerks accepting the same case at the same moment: the row lock makes the second wait, then it
    finds the case already in handling and gets an INVALID_STATE error — exactly one acceptance happens.
    """
    case = _lock(case_id)
    _staff_may(actor, case, Action.CASE_ACCEPT)
    _require_state(case, [CaseState.SUBMITTED], "受理")
    if mode not in (AcceptMode.NORMAL, AcceptMode.DEFERRED, AcceptMode.COMMITMENT):
        raise DomainError(ErrorCode.VALIDATION, "受理方式应为一般受理、容缺受理或告知承诺", field="mode")
    version = case.version
    if mode == AcceptMode.DEFERRED and not version.deferrable:
        raise DomainError(ErrorCode.VALIDATION, "该事项不适用容缺受理", field="mode")
    if mode == AcceptMode.COMMITMENT:
        if not version.commitment:
            raise DomainError(ErrorCode.VALIDATION, "该事项不适用告知承诺", field="mode")
        if not (commitment_signed or case.commitment_signed):
            raise DomainError(ErrorCode.VALIDATION, "告知承诺须由申请人签署承诺书", field="commitment_signed")
        case.commitment_signed = True
    if paper:
        _record_paper(case, paper)
    if version.is_instant and mode == AcceptMode.NORMAL:
        mode = AcceptMode.INSTANT
    _accept(case, actor=actor, mode=mode, deferred_due=deferred_due, check_due=check_due)
    if mode == AcceptMode.INSTANT:
        _decide(case, actor=actor, decision=Decision.APPROVE, reason="即办件，当场办结")
    return case


def _record_paper(case: Case, paper: Mapping[str, Any]) -> None:
    counts = _valid_paper(paper, set(case.materials.values_list("code", flat=True)))
    now = _now()
    rows = list(case.materials.filter(code__in=counts))
    for row in rows:
        row.originals_received, row.copies_received = counts[row.code]
        if row.status in (MaterialStatus.ABSENT, MaterialStatus.DEFERRED):
            row.status = MaterialStatus.PROVIDED
            row.supplied_at = now
            row.problem = ""
    CaseMaterial.objects.bulk_update(
        rows, ["originals_received", "copies_received", "status", "supplied_at", "problem"]
    )


@transaction.atomic
def case_reject(*, actor: Any, case_id: int, reason: str) -> Case:
    """不予受理, with a written notice that states the reasons and the remedies."""
    case = _lock(case_id)
    _staff_may(actor, case, Action.CASE_ACCEPT)
    _require_state(case, [CaseState.SUBMITTED, CaseState.SUPPLEMENT], "作出不予受理")
    reason = _text(reason, field="reason", label="不予受理的理由", min_length=5)
    now = _now()
    old = case.state
    case.state = CaseState.REJECTED
    case.closed_at = now
    case.closed_by = actor
    notice = _notice(
        case,
        kind=NoticeKind.REJECTION,
        actor=actor,
        paragraphs=[
            f"{case.applicant_name}：",
            f"您申请的“{case.version.name}”，经审查，决定不予受理。理由如下：{reason}",
            _remedies(_content(case)),
        ],
    )
    _event(
        case,
        action=EventAction.REJECT,
        from_state=old,
        actor=actor,
        reason=reason,
        data={"notice": notice.number},
        at=now,
        save=("state", "closed_at", "closed_by"),
    )
    transaction.on_commit(lambda: notify.case_notice_sent(notice, case))
    return case


@transaction.atomic
def case_request_supplement(*, actor: Any, case_id: int, items: Sequence[Mapping[str, str]], note: str = "") -> Case:
    """一次性告知: one notice listing every missing or faulty material at once (``items``: ``{"code": 材料编码,
    "problem": 问题}``, or ``{"name": 事项, "problem": …}`` for something that is not a listed material)."""
    case = _lock(case_id)
    _staff_may(actor, case, Action.CASE_ACCEPT)
    _require_state(case, [CaseState.SUBMITTED], "出具补正告知")
    if not items:
        raise DomainError(ErrorCode.VALIDATION, "请列出需要补正的全部材料及问题", field="items")
    materials = {m.code: m for m in case.materials.all()}
    lines: list[str] = []
    errors: list[FieldError] = []
    touched: list[CaseMaterial] = []
    for index, item in enumerate(items):
        code = (item.get("code") or "").strip()
        problem = (item.get("problem") or "").strip()
        if not problem:
            errors.append(FieldError(field=f"items.{index}.problem", message="请写明该材料的问题或补正要求"))
            continue
        if code:
            material = materials.get(code)
            if material is None:
                errors.append(FieldError(field=f"items.{index}.code", message=f"该办件没有编码为“{code}”的材料"))
                continue
            material.problem = problem[:300]
            if material.status == MaterialStatus.PROVIDED:
                material.status = MaterialStatus.ABSENT  # faulty: to be replaced
            touched.append(material)
            lines.append(f"{material.name}：{problem}")
        else:
            name = (item.get("name") or "").strip()
            if not name:
                errors.append(FieldError(field=f"items.{index}.name", message="请写明需补正的事项"))
                continue
            lines.append(f"{name}：{problem}")
    if errors:
        raise DomainError(ErrorCode.VALIDATION, "补正告知内容不完整", errors=errors)
    CaseMaterial.objects.bulk_update(touched, ["problem", "status"])
    old = case.state
    case.state = CaseState.SUPPLEMENT
    notice = _notice(
        case,
        kind=NoticeKind.SUPPLEMENT,
        actor=actor,
        paragraphs=[
            f"{case.applicant_name}：",
            f"您申请的“{case.version.name}”（办件编号 {case.number}），申请材料不齐全或不符合法定形式。"
            "现一次性告知需要补正的全部内容如下，请补正后重新提交；补正期间不计入办理时限。",
        ]
        + ([note.strip()[:500]] if note.strip() else []),
        items=lines,
    )
    _event(
        case,
        action=EventAction.REQUEST_SUPPLEMENT,
        from_state=old,
        actor=actor,
        reason=note.strip()[:500],
        data={"notice": notice.number, "items": lines},
        save=("state",),
    )
    transaction.on_commit(lambda: notify.case_notice_sent(notice, case))
    return case


@transaction.atomic
def case_supplement(
    *,
    actor: Any,
    case_id: int,
    form: Mapping[str, Any] | None = None,
    materials: Mapping[str, Any] | None = None,
    paper: Mapping[str, Any] | None = None,
) -> Case:
    """补正提交 by the applicant (online) or recorded by a window clerk (paper): back to 待受理."""
    case = _lock(case_id)
    staff = getattr(actor, "kind", None) == UserKind.STAFF
    if staff:
        _staff_may(actor, case, Action.CASE_ACCEPT)
    else:
        _applicant_may(actor, case)
    _require_state(case, [CaseState.SUPPLEMENT], "补正")
    content = _content(case)
    fields = ["state"]
    if form is not None:
        cleaned = _validate_form(content, form, actor)
        case.form_cipher = crypto.encrypt(json.dumps(cleaned, ensure_ascii=False), context=FORM_CONTEXT)
        fields.append("form_cipher")
    known = set(case.materials.values_list("code", flat=True))
    uploads = _valid_uploads(actor, materials, known)
    if not uploads and not paper and form is None:
        raise DomainError(ErrorCode.VALIDATION, "请上传补正材料或修改申请表后再提交", field="materials")
    now = _now()
    rows = list(case.materials.filter(code__in=uploads))
    for row in rows:
        row.status = MaterialStatus.PROVIDED
        row.supplied_at = now
        row.problem = ""
    CaseMaterial.objects.bulk_update(rows, ["status", "supplied_at", "problem"])
    for row in rows:
        row.uploads.clear()
    _link_uploads(case, uploads)
    if paper:
        _record_paper(case, paper)
    CaseNotice.objects.filter(case=case, kind=NoticeKind.SUPPLEMENT, answered_at__isnull=True).update(answered_at=now)
    old = case.state
    case.state = CaseState.SUBMITTED
    _event(
        case,
        action=EventAction.SUPPLEMENT,
        from_state=old,
        actor=actor,
        data={"materials": sorted(uploads)},
        at=now,
        save=fields,
    )
    return case


@transaction.atomic
def case_deferred_supply(
    *, actor: Any, case_id: int, materials: Mapping[str, Any] | None = None, paper: Mapping[str, Any] | None = None
) -> Case:
    """容缺后补: the applicant uploads (or the window receives) materials owed after a 容缺 acceptance."""
    case = _lock(case_id)
    staff = getattr(actor, "kind", None) == UserKind.STAFF
    if staff:
        _staff_may(actor, case, Action.CASE_ACCEPT)
    else:
        _applicant_may(actor, case)
    _require_state(case, [CaseState.HANDLING, CaseState.DECIDED, CaseState.CLOSED], "补交容缺材料")
    owed = {m.code: m for m in case.materials.filter(status=MaterialStatus.DEFERRED)}
    if not owed:
        raise DomainError(ErrorCode.INVALID_STATE, "该办件没有待补的容缺材料")
    uploads = _valid_uploads(actor, materials, set(owed))
    paper_counts = _valid_paper(paper, set(owed)) if staff else {}
    if not uploads and not paper_counts:
        raise DomainError(ErrorCode.VALIDATION, "请提交待补的容缺材料", field="materials")
    now = _now()
    rows = [owed[code] for code in set(uploads) | set(paper_counts)]
    for row in rows:
        row.status = MaterialStatus.PROVIDED
        row.supplied_at = now
        row.originals_received, row.copies_received = paper_counts.get(
            row.code, (row.originals_received, row.copies_received)
        )
    CaseMaterial.objects.bulk_update(rows, ["status", "supplied_at", "originals_received", "copies_received"])
    _link_uploads(case, uploads)
    still_owed = len(owed) - len(rows)
    if still_owed == 0:
        case.deferred_due = None
    _event(
        case,
        action=EventAction.DEFERRED_SUPPLY,
        from_state=case.state,
        actor=actor,
        data={"supplied": sorted(r.code for r in rows), "still_owed": still_owed},
        at=now,
        save=("deferred_due",),
    )
    return case


# --- 后台审批 (steps) --------------------------------------------------------------------------------------


def _open_step(case: Case, step_id: int) -> CaseStep:
    step = CaseStep.objects.select_for_update().filter(pk=step_id, case=case).first()
    if step is None:
        raise not_found("环节")
    if step.state != StepState.OPEN or step.block != case.current_block:
        raise DomainError(ErrorCode.INVALID_STATE, f"环节“{step.name}”不在待办状态")
    return step


def _may_handle_step(actor: Any, step: CaseStep, case: Case, *, handles: bool | None = None) -> None:
    """``handles``: whether ``actor`` handles the step's department, when the caller has looked it up."""
    if step.assignee_id is not None and step.assignee_id != getattr(actor, "pk", None):
        raise permission_denied(f"环节“{step.name}”已分派给其他人员办理")
    if not (handles if handles is not None else _handles(actor, step.department_id, case)):
        raise permission_denied(f"您不是环节“{step.name}”办理机构的审批人员")


@transaction.atomic
def case_step_assign(*, actor: Any, case_id: int, step_id: int, assignee_id: int, reason: str = "") -> CaseStep:
    """分派 / 转办: give an open step to an approver of its department (a reassignment needs a reason)."""
    from yiwang.accounts.models import User

    case = _lock(case_id)
    _require_state(case, [CaseState.HANDLING], "分派环节")
    step = _open_step(case, step_id)
    if not _handles(actor, step.department_id, case):
        raise permission_denied(f"您不是环节“{step.name}”办理机构的审批人员")
    assignee = User.objects.filter(pk=assignee_id, is_active=True, kind=UserKind.STAFF).first()
    if assignee is None or not _handles(assignee, step.department_id, case):
        raise DomainError(ErrorCode.VALIDATION, "被分派人员不是该环节办理机构的审批人员", field="assignee_id")
    if step.assignee_id == assignee.pk:
        return step
    if step.assignee_id is not None:
        reason = _text(reason, field="reason", label="转办理由", min_length=2)
    old_assignee = step.assignee_id
    step.assignee = assignee
    step.save(update_fields=["assignee"])
    _event(
        case,
        action=EventAction.STEP_ASSIGN,
        from_state=case.state,
        actor=actor,
        reason=reason,
        data={"step": step.name, "from": old_assignee, "to": assignee.pk},
        save=(),
    )
    return step


def _steps_in_block(case_id: Any, block: Any, state: Any) -> Any:
    return CaseStep.objects.filter(case_id=case_id, block=block, state=state)


_STEPS_IN_BLOCK: PreparedQuery[CaseStep] = PreparedQuery(_steps_in_block, arity=3)
_STEPS_IN_BLOCK_LOCKED: PreparedQuery[CaseStep] = PreparedQuery(
    lambda *block: _steps_in_block(*block).select_for_update(), arity=3
)


@transaction.atomic
def case_step_complete(*, actor: Any, case_id: int, step_id: int, opinion: str) -> Case:
    """环节通过 (审核): the step is done; when its whole block is done the next block opens."""
    case = _lock(case_id)
    _require_state(case, [CaseState.HANDLING], "办理环节")
    # The open steps of the current block, locked: the step to complete and whether any other stays open.
    block_steps = _STEPS_IN_BLOCK_LOCKED.rows(case.pk, case.current_block, StepState.OPEN)
    step = next((s for s in block_steps if s.pk == step_id), None) or _open_step(case, step_id)
    _may_handle_step(actor, step, case)
    if step.is_final:
        raise DomainError(ErrorCode.INVALID_STATE, f"“{step.name}”是决定环节，请作出准予或不予的决定")
    opinion = _text(opinion, field="opinion", label="审核意见", max_length=2000)
    now = _now()
    step.state = StepState.DONE
    step.opinion = opinion
    step.finished_at = now
    step.finished_by = actor
    if step.assignee_id is None:
        step.assignee = actor
    row_update(step, ["state", "opinion", "finished_at", "finished_by", "assignee"])
    fields: list[str] = []
    opened: list[str] = []
    if not any(s.pk != step.pk for s in block_steps):
        opened = [s.name for s in _open_block(case, case.current_block + 1, now=now)]
        fields.append("current_block")
    _event(
        case,
        action=EventAction.STEP_COMPLETE,
        from_state=case.state,
        actor=actor,
        reason=opinion,
        data={"step": step.name, "position": step.position, "opened": opened},
        at=now,
        save=fields,
    )
    return case


@transaction.atomic
def case_step_return(*, actor: Any, case_id: int, step_id: int, to_position: int, reason: str) -> Case:
    """退回: send the case back to an earlier step (not to 受理), with a reason; that step opens again."""
    case = _lock(case_id)
    _require_state(case, [CaseState.HANDLING], "退回")
    step = _open_step(case, step_id)
    _may_handle_step(actor, step, case)
    reason = _text(reason, field="reason", label="退回理由", min_length=2)
    steps = _content(case).get("steps") or []
    blocks = _blocks(steps)
    if not (1 <= to_position < len(steps)) or blocks[to_position] >= step.block:
        raise DomainError(ErrorCode.VALIDATION, "只能退回到本环节之前的审批环节", field="to_position")
    now = _now()
    case.steps.filter(state=StepState.OPEN).update(state=StepState.RETURNED, finished_at=now, finished_by=actor)
    target_block = blocks[to_position]
    _open_block(case, target_block, now=now)
    _event(
        case,
        action=EventAction.STEP_RETURN,
        from_state=case.state,
        actor=actor,
        reason=reason,
        data={"from": step.name, "to": steps[to_position]["name"]},
        at=now,
        save=("current_block",),
    )
    return case


# --- 决定, 出件, 办结 --------------------------------------------------------------------------------------


_END_RUNNING_PROCEDURES = PreparedUpdate(
    lambda case_id: SpecialProcedure.objects.filter(case_id=case_id, ended_at__isnull=True),
    ("ended_at", "ended_on", "result"),
)
_FINISH_STEPS_IN_STATE = PreparedUpdate(
    lambda case_id, state: CaseStep.objects.filter(case_id=case_id, state=state),
    ("state", "finished_at", "finished_by", "opinion"),
    arity=2,
)


def _decide(case: Case, *, actor: Any, decision: str, reason: str) -> None:
    now = _now()
    content = _content(case)
    # A special procedure that did not pause the clock (现场核查…) ends with the decision. Only the item's
    # own procedures can be running (``case_special_start``; 延长审批 rows are made ended), so an item that
    # defines none needs no UPDATE.
    if any(p.get("type") != SpecialProcedureType.EXTENSION for p in content.get("special_procedures") or []):
        _END_RUNNING_PROCEDURES.run(
            case.pk, values={"ended_at": now, "ended_on": timezone.localdate(now), "result": "随决定结束"}
        )
    _FINISH_STEPS_IN_STATE.run(
        case.pk,
        StepState.OPEN,
        values={
            "state": StepState.DONE,
            "finished_at": now,
            "finished_by": actor if getattr(actor, "is_authenticated", False) else None,
            "opinion": reason[:2000],
        },
    )
    old = case.state
    case.state = CaseState.DECIDED
    case.decision = decision
    case.decision_reason = reason
    case.decided_at = now
    case.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    case.current_block = 0
    results = content.get("results") or []
    case.result_name = results[0]["name"] if decision == Decision.APPROVE and results else ""
    if decision == Decision.APPROVE:
        paragraphs = [
            f"{case.applicant_name}：",
            f"您申请的“{case.version.name}”（办件编号 {case.number}），经审查，符合法定条件、标准，决定准予。",
        ] + ([f"办理结果：{case.result_name}。"] if case.result_name else [])
        kind = NoticeKind.APPROVAL
    else:
        paragraphs = [
            f"{case.applicant_name}：",
            f"您申请的“{case.version.name}”（办件编号 {case.number}），经审查，决定不予准予。理由如下：{reason}",
            _remedies(content),
        ]
        kind = NoticeKind.REFUSAL
    notice = _notice(case, kind=kind, actor=actor, paragraphs=paragraphs)
    fields = ["state", "decision", "decision_reason", "decided_at", "decided_by", "current_block", "result_name"]
    if not case.delivery_method:
        case.delivery_method = DeliveryMethod.ELECTRONIC
        fields.append("delivery_method")
    _event(
        case,
        action=EventAction.DECIDE,
        from_state=old,
        actor=actor,
        reason=reason,
        data={"decision": decision, "notice": notice.number, "result": case.result_name},
        at=now,
        save=fields,
    )
    if decision == Decision.APPROVE:
        from yiwang.cases.results import case_results_issue

        transaction.on_commit(lambda: case_results_issue(case))  # after commit: the case as decided
    transaction.on_commit(lambda: notify.case_notice_sent(notice, case))
    if case.delivery_method == DeliveryMethod.ELECTRONIC:
        _close(case, actor=actor, data={"method": DeliveryMethod.ELECTRONIC})


@transaction.atomic
def case_decide(*, actor: Any, case_id: int, decision: str, reason: str) -> Case:
    """作出决定 (准予 / 不予) at the final step. A refusal states its reasons and the remedies."""
    case = _lock(case_id)
    _require_state(case, [CaseState.HANDLING], "作出决定")
    if decision not in Decision.values:
        raise DomainError(ErrorCode.VALIDATION, "决定应为准予或不予", field="decision")
    open_steps = _STEPS_IN_BLOCK.rows(case.pk, case.current_block, StepState.OPEN)
    final = [s for s in open_steps if s.is_final]
    handled = _handled(actor, {s.department_id for s in final}, case)
    step = next((s for s in final if s.department_id in handled), None)
    if step is None:
        if not final:
            raise DomainError(ErrorCode.INVALID_STATE, "尚未到决定环节，请先完成审核环节")
        raise permission_denied("您不是决定环节办理机构的审批人员")
    _may_handle_step(actor, step, case, handles=True)
    if any(not s.is_final for s in open_steps):
        raise DomainError(ErrorCode.INVALID_STATE, "并联环节尚未全部办结，暂不能作出决定")
    if case.paused_since is not None:
        raise DomainError(ErrorCode.INVALID_STATE, "特别程序进行中，结束后才能作出决定")
    if decision == Decision.REFUSE:
        reason = _text(reason, field="reason", label="不予准予的理由", min_length=5)
    else:
        reason = _text(reason or "符合法定条件、标准，准予", field="reason", label="决定意见")
    _decide(case, actor=actor, decision=decision, reason=reason)
    return case


_WINDOW: PreparedQuery[Window] = PreparedQuery(lambda pk: Window.objects.filter(pk=pk).order_by()[:1])


def _set_delivery(case: Case, *, method: str, window_id: int | None, address: str) -> None:
    if method not in DeliveryMethod.values:
        raise DomainError(ErrorCode.VALIDATION, "出件方式应为窗口领取、快递送达或电子送达", field="delivery_method")
    case.delivery_method = method
    case.pickup_window = None
    case.address_cipher = ""
    if method == DeliveryMethod.PICKUP:
        window = next(iter(_WINDOW.rows(window_id)), None) if window_id else None
        if window is None:
            raise DomainError(ErrorCode.VALIDATION, "请选择领取结果的窗口", field="pickup_window_id")
        case.pickup_window = window
        case.pickup_code = case.pickup_code or f"{secrets.randbelow(10**6):06d}"
    elif method == DeliveryMethod.EXPRESS:
        if not _content(case).get("express"):
            raise DomainError(ErrorCode.VALIDATION, "该事项不支持快递送达结果", field="delivery_method")
        address = _text(address, field="address", label="收件地址（含收件人和电话）", min_length=8, max_length=300)
        case.address_cipher = crypto.encrypt(address, context=ADDRESS_CONTEXT)


@transaction.atomic
def case_delivery_set(
    *, actor: Any, case_id: int, method: str, pickup_window_id: int | None = None, address: str = ""
) -> Case:
    """选择出件方式 (applicant): pickup at a window with a code, express to an address, or electronic."""
    case = _lock(case_id)
    _applicant_may(actor, case)
    _require_state(
        case, [CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.HANDLING, CaseState.DECIDED], "选择出件方式"
    )
    _set_delivery(case, method=method, window_id=pickup_window_id, address=address)
    _event(
        case,
        action=EventAction.DELIVERY_SET,
        from_state=case.state,
        actor=actor,
        data={"method": method},
        save=("delivery_method", "pickup_window", "pickup_code", "address_cipher"),
    )
    if case.state == CaseState.DECIDED and method == DeliveryMethod.ELECTRONIC:
        _close(case, actor=actor, data={"method": method})
    return case


def case_address(case: Case) -> str:
    return crypto.decrypt(case.address_cipher, context=ADDRESS_CONTEXT) if case.address_cipher else ""


def _close(case: Case, *, actor: Any, data: dict[str, Any]) -> None:
    now = _now()
    old = case.state
    case.state = CaseState.CLOSED
    case.closed_at = now
    case.closed_by = actor if getattr(actor, "is_authenticated", False) else None
    _event(
        case,
        action=EventAction.CLOSE,
        from_state=old,
        actor=actor,
        data=data,
        at=now,
        save=("state", "closed_at", "closed_by", "tracking_number"),
    )


@transaction.atomic
def case_close(*, actor: Any, case_id: int, pickup_code: str = "", tracking_number: str = "") -> Case:
    """出件办结 (统一窗口出件): hand the result over at the window against the pickup code, or post it with a
    tracking number. Electronic delivery closes the case by itself at the decision."""
    import hmac

    case = _lock(case_id)
    _staff_may(actor, case, Action.CASE_ACCEPT)
    _require_state(case, [CaseState.DECIDED], "出件")
    method = case.delivery_method or DeliveryMethod.PICKUP
    if method == DeliveryMethod.PICKUP:
        if not case.pickup_code or not hmac.compare_digest(case.pickup_code, (pickup_code or "").strip()):
            raise DomainError(ErrorCode.VALIDATION, "取件码不正确，请核对申请人出示的取件码", field="pickup_code")
        data: dict[str, Any] = {"method": method}
    elif method == DeliveryMethod.EXPRESS:
        number = (tracking_number or "").strip()
        if not (6 <= len(number) <= 40 and number.isalnum()):
            raise DomainError(ErrorCode.VALIDATION, "请填写6至40位字母或数字的快递单号", field="tracking_number")
        case.tracking_number = number
        data = {"method": method, "tracking_number": number}
    else:
        data = {"method": method}
    _close(case, actor=actor, data=data)
    return case


@transaction.atomic
def case_withdraw(*, actor: Any, case_id: int, reason: str) -> Case:
    """撤回申请 by the applicant, any time before the decision."""
    case = _lock(case_id)
    _applicant_may(actor, case)
    _require_state(
        case, [CaseState.SUBMITTED, CaseState.SUPPLEMENT, CaseState.HANDLING], "撤回（已作出决定的办件不能撤回）"
    )
    reason = _text(reason, field="reason", label="撤回原因", min_length=2, max_length=500)
    now = _now()
    case.steps.filter(state=StepState.OPEN).update(state=StepState.CANCELLED, finished_at=now)
    case.special_procedures.filter(ended_at__isnull=True).update(
        ended_at=now, ended_on=timezone.localdate(now), result="申请人撤回"
    )
    old = case.state
    case.state = CaseState.WITHDRAWN
    case.current_block = 0
    case.paused_since = None
    case.closed_at = now
    _event(
        case,
        action=EventAction.WITHDRAW,
        from_state=old,
        actor=actor,
        reason=reason,
        at=now,
        save=("state", "current_block", "paused_since", "closed_at"),
    )
    return case


# --- 特别程序 and 延长审批 --------------------------------------------------------------------------------


def _current_step_handler(actor: Any, case: Case) -> None:
    departments = set(case.steps.filter(state=StepState.OPEN).values_list("department_id", flat=True))
    if not _handled(actor, departments | {case.department_id}, case):
        raise permission_denied("您不是该办件办理机构的审批人员")


def _shift_deadlines(case: Case, workdays: int) -> dict[str, str]:
    """Move every running due date later by ``workdays`` (never earlier)."""
    case.legal_due = deadlines.shift(case.legal_due, workdays)
    case.promise_due = deadlines.shift(case.promise_due, workdays)
    case.warn_on = deadlines.warn_date(case.promise_due, case.warning_days) if case.promise_due else None
    for step in case.steps.filter(state=StepState.OPEN):
        step.due = deadlines.shift(step.due, workdays)
        step.warn_on = deadlines.warn_date(step.due, case.warning_days) if step.due else None
        step.save(update_fields=["due", "warn_on"])
    return {"legal_due": str(case.legal_due), "promise_due": str(case.promise_due)}


@transaction.atomic
def case_special_start(*, actor: Any, case_id: int, name: str, reason: str, planned_days: int) -> SpecialProcedure:
    """特别程序开始 (听证、检验、检测、鉴定、专家评审… as the item defines them). A pausing procedure stops
    the clock until it ends; the applicant is told the time it needs in writing (行政许可法 Art. 45)."""
    case = _lock(case_id)
    _require_state(case, [CaseState.HANDLING], "启动特别程序")
    _current_step_handler(actor, case)
    defined = {
        p["name"]: p
        for p in _content(case).get("special_procedures") or []
        if p.get("type") != SpecialProcedureType.EXTENSION
    }
    if name not in defined:
        names = "、".join(defined) or "无"
        raise DomainError(ErrorCode.VALIDATION, f"该事项未规定此特别程序（可用：{names}）", field="name")
    reason = _text(reason, field="reason", label="启动理由或依据", min_length=2)
    if not isinstance(planned_days, int) or not 1 <= planned_days <= 365:
        raise DomainError(ErrorCode.VALIDATION, "所需时间应为1至365个工作日", field="planned_days")
    pauses = bool(defined[name].get("pauses_clock", True))
    if pauses and case.paused_since is not None:
        raise DomainError(ErrorCode.CONFLICT, "已有特别程序在进行中，计时已暂停")
    now = _now()
    on = timezone.localdate(now)
    procedure = SpecialProcedure.objects.create(
        case=case,
        kind=SpecialProcedureType.OTHER,
        name=name,
        reason=reason,
        pauses_clock=pauses,
        planned_days=planned_days,
        started_on=on,
        started_at=now,
        started_by=actor,
    )
    if pauses:
        case.paused_since = on
    notice = _notice(
        case,
        kind=NoticeKind.SPECIAL,
        actor=actor,
        paragraphs=[
            f"{case.applicant_name}：",
            f"您申请的“{case.version.name}”（办件编号 {case.number}）需进行{name}，预计需要{planned_days}个工作日。"
            + ("该期间不计入办理时限。" if pauses else ""),
            f"依据：{reason}",
        ],
    )
    _event(
        case,
        action=EventAction.SPECIAL_START,
        from_state=case.state,
        actor=actor,
        reason=reason,
        data={"procedure": procedure.pk, "name": name, "pauses": pauses, "notice": notice.number},
        at=now,
        save=("paused_since",),
    )
    transaction.on_commit(lambda: notify.case_notice_sent(notice, case))
    return procedure


@transaction.atomic
def case_special_end(*, actor: Any, case_id: int, procedure_id: int, result: str) -> SpecialProcedure:
    """特别程序结束: the clock runs again and every due date moves later by the working days it was paused."""
    case = _lock(case_id)
    _require_state(case, [CaseState.HANDLING], "结束特别程序")
    _current_step_handler(actor, case)
    procedure = SpecialProcedure.objects.filter(pk=procedure_id, case=case).first()
    if procedure is None:
        raise not_found("特别程序")
    if procedure.ended_at is not None:
        raise DomainError(ErrorCode.INVALID_STATE, "该特别程序已经结束")
    result = _text(result, field="result", label="特别程序结果", min_length=2)
    now = _now()
    on = timezone.localdate(now)
    from yiwang.workdays.calendar import workdays_between

    paused = max(workdays_between(procedure.started_on, on), 0) if procedure.pauses_clock else 0
    procedure.ended_at = now
    procedure.ended_on = on
    procedure.paused_workdays = paused
    procedure.result = result
    procedure.save(update_fields=["ended_at", "ended_on", "paused_workdays", "result"])
    dues = _shift_deadlines(case, paused)
    if procedure.pauses_clock:
        case.paused_since = None
        case.paused_days += paused
    _event(
        case,
        action=EventAction.SPECIAL_END,
        from_state=case.state,
        actor=actor,
        reason=result,
        data={"procedure": procedure.pk, "paused_workdays": paused, **dues},
        at=now,
        save=("paused_since", "paused_days", "legal_due", "promise_due", "warn_on"),
    )
    return procedure


@transaction.atomic
def case_extend(*, actor: Any, case_id: int, days: int, reason: str) -> SpecialProcedure:
    """延长审批 (特别程序种类 1): with the agency head's approval the due dates move later by ``days`` working
    days — at most 10 in all, or 15 for an item handled jointly (行政许可法 Art. 42)."""
    case = _lock(case_id)
    _require_state(case, [CaseState.HANDLING], "延长审批期限")
    _current_step_handler(actor, case)
    joint = bool(_content(case).get("joint_departments"))
    limit = EXTENSION_MAX_DAYS_JOINT if joint else EXTENSION_MAX_DAYS
    if not isinstance(days, int) or days < 1 or case.extended_days + days > limit:
        left = limit - case.extended_days
        raise DomainError(
            ErrorCode.VALIDATION, f"延长期限应为1至{left}个工作日（累计不超过{limit}个工作日）", field="days"
        )
    reason = _text(reason, field="reason", label="延长理由（经本机关负责人批准）", min_length=5)
    now = _now()
    on = timezone.localdate(now)
    procedure = SpecialProcedure.objects.create(
        case=case,
        kind=SpecialProcedureType.EXTENSION,
        name="延长审批",
        reason=reason,
        pauses_clock=False,
        extension_days=days,
        started_on=on,
        started_at=now,
        started_by=actor,
        ended_at=now,
        ended_on=on,
        result=f"延长{days}个工作日",
    )
    dues = _shift_deadlines(case, days)
    case.extended_days += days
    notice = _notice(
        case,
        kind=NoticeKind.EXTENSION,
        actor=actor,
        paragraphs=[
            f"{case.applicant_name}：",
            f"您申请的“{case.version.name}”（办件编号 {case.number}），经本机关负责人批准，办理期限延长{days}个工作日。"
            f"理由：{reason}",
            f"延长后承诺办结日期：{case.promise_due:%Y年%m月%d日}。",
        ],
    )
    _event(
        case,
        action=EventAction.EXTEND,
        from_state=case.state,
        actor=actor,
        reason=reason,
        data={"days": days, "notice": notice.number, **dues},
        at=now,
        save=("extended_days", "legal_due", "promise_due", "warn_on"),
    )
    transaction.on_commit(lambda: notify.case_notice_sent(notice, case))
    return procedure


# --- 告知承诺核查 and 督办 ---------------------------------------------------------------------------------


@transaction.atomic
def case_commitment_check(*, actor: Any, case_id: int, kept: bool, note: str) -> CommitmentCheck:
    """核查 result of a 告知承诺 case: kept or broken (承诺不实 needs a note; credit systems read it)."""
    case = _lock(case_id)
    if not _handles(actor, case.department_id, case):
        raise permission_denied("您不是该办件实施部门的审批人员")
    check = CommitmentCheck.objects.select_for_update().filter(case=case).first()
    if check is None:
        raise not_found("承诺核查")
    if check.state != CheckState.PENDING:
        raise DomainError(ErrorCode.INVALID_STATE, f"该承诺已核查（{check.get_state_display()}）")
    note = _text(note, field="note", label="核查说明", min_length=0 if kept else 5) if (note or not kept) else ""
    now = _now()
    check.state = CheckState.KEPT if kept else CheckState.BROKEN
    check.note = note
    check.checked_at = now
    check.checked_by = actor
    check.save(update_fields=["state", "note", "checked_at", "checked_by"])
    _event(
        case,
        action=EventAction.COMMITMENT_CHECK,
        from_state=case.state,
        actor=actor,
        reason=note,
        data={"result": check.state},
        at=now,
        save=(),
    )
    return check


@transaction.atomic
def case_urge(*, actor: Any, case_id: int, message: str) -> Urge:
    """督办: a supervisor urges a case in handling whose light is yellow or red."""
    case = _lock(case_id)
    _staff_may(actor, case, Action.CASE_SUPERVISE)
    _require_state(case, [CaseState.HANDLING], "督办")
    on = today()
    light = deadlines.light_of(
        due=case.promise_due, warn_on=case.warn_on, paused=case.paused_since is not None, today=on
    )
    if light == "green":
        raise DomainError(ErrorCode.INVALID_STATE, "只能督办黄灯预警或红灯超期的办件")
    message = _text(message, field="message", label="督办内容", min_length=2, max_length=1000)
    if Urge.objects.filter(case=case, responded_at__isnull=True).exists():
        raise DomainError(ErrorCode.CONFLICT, "该办件已有未反馈的督办")
    now = _now()
    urge = Urge.objects.create(case=case, light=light, message=message, created_at=now, created_by=actor)
    _event(
        case,
        action=EventAction.URGE,
        from_state=case.state,
        actor=actor,
        reason=message,
        data={"urge": urge.pk, "light": light},
        at=now,
        save=(),
    )
    return urge


@transaction.atomic
def case_urge_respond(*, actor: Any, case_id: int, urge_id: int, response: str) -> Urge:
    """督办反馈 by the department handling the case."""
    case = _lock(case_id)
    _current_step_handler(actor, case)
    _require_state(case, [CaseState.HANDLING, CaseState.DECIDED, CaseState.CLOSED], "反馈督办")
    urge = Urge.objects.select_for_update().filter(pk=urge_id, case=case).first()
    if urge is None:
        raise not_found("督办")
    if urge.responded_at is not None:
        raise DomainError(ErrorCode.INVALID_STATE, "该督办已反馈")
    response = _text(response, field="response", label="反馈内容", min_length=2, max_length=1000)
    now = _now()
    urge.response = response
    urge.responded_at = now
    urge.responded_by = actor
    urge.save(update_fields=["response", "responded_at", "responded_by"])
    _event(
        case,
        action=EventAction.URGE_RESPOND,
        from_state=case.state,
        actor=actor,
        reason=response,
        data={"urge": urge.pk},
        at=now,
        save=(),
    )
    return urge


# --- 网上申请草稿 -----------------------------------------------------------------------------------------


def draft_identity(*, enterprise_id: int | None = None, principal_id: int | None = None) -> str:
    if enterprise_id is not None:
        return f"enterprise:{enterprise_id}"
    if principal_id is not None:
        return f"principal:{principal_id}"
    return "person"


@transaction.atomic
def draft_save(
    *,
    actor: Any,
    item_id: int,
    identity: str,
    form: Mapping[str, Any] | None,
    materials: Mapping[str, Any] | None,
    revision: int | None,
) -> ApplicationDraft:
    """Save (autosave) an application draft. ``revision`` is the one the client loaded: when another device
    saved since, the save is refused with a conflict, so neither device silently overwrites the other."""
    from yiwang.cases.form_data import form_validate

    if actor is None or getattr(actor, "kind", None) != UserKind.CITIZEN:
        raise permission_denied("只有办事群众可以保存申请草稿")
    item, version = _published_item(item_id)
    content = version.content
    cleaned_form = form_validate(fields=list(content.get("form") or []), data=form or {}, partial=True)
    known = {m["code"] for m in content.get("materials") or []}
    uploads = _valid_uploads(actor, materials, known)
    now = _now()
    draft = ApplicationDraft.objects.select_for_update().filter(owner=actor, item=item, identity=identity).first()
    cipher = crypto.encrypt(json.dumps(cleaned_form, ensure_ascii=False), context=DRAFT_CONTEXT)
    if draft is None:
        try:
            with transaction.atomic():
                return ApplicationDraft.objects.create(
                    owner=actor,
                    item=item,
                    identity=identity,
                    form_cipher=cipher,
                    materials=uploads,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError as exc:
            raise DomainError(ErrorCode.CONFLICT, "草稿已在其他设备上创建，请刷新后继续填写", field="revision") from exc
    if revision is not None and revision != draft.revision:
        raise DomainError(ErrorCode.CONFLICT, "草稿已在其他设备上修改，请刷新后继续填写", field="revision")
    draft.form_cipher = cipher
    draft.materials = uploads
    draft.revision += 1
    draft.updated_at = now
    draft.save(update_fields=["form_cipher", "materials", "revision", "updated_at"])
    return draft


def draft_form(draft: ApplicationDraft) -> dict[str, Any]:
    return json.loads(crypto.decrypt(draft.form_cipher, context=DRAFT_CONTEXT)) if draft.form_cipher else {}


@transaction.atomic
def draft_delete(*, actor: Any, draft_id: int) -> None:
    ApplicationDraft.objects.filter(pk=draft_id, owner=actor).delete()


def staff_roles_for_cases(user: Any) -> set[str]:
    """Which case actions ``user`` holds anywhere (for showing or hiding buttons; services still check)."""
    return {a for a in (Action.CASE_ACCEPT, Action.CASE_HANDLE, Action.CASE_SUPERVISE) if scopes_for(user, a)}
