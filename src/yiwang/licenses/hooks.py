"""What the licences app plugs into the cases app (registered in ``LicensesConfig.ready``):

* ``issue_for_case`` — the approval hook (``cases.results``): an approved case whose item result links a
  证照类型 gets its licence, face data taken from the application form by field key;
* ``licence_fact`` — 秒批 facts ``licence.<证照类型代码>.valid`` (``cases.auto_rules``);
* ``material_from_licence`` — 免提交 (``cases.exemptions``): a valid licence of the applicant's satisfies the
  material, and the use is logged for the holder once the case exists.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from yiwang.accounts.models import LegalPerson, NaturalPerson
from yiwang.cases.auto_rules import MISSING, FactContext
from yiwang.cases.exemptions import Exemption
from yiwang.cases.models import Case
from yiwang.core import crypto
from yiwang.core.errors import DomainError
from yiwang.licenses.choices import UseKind
from yiwang.licenses.models import License, LicenseType
from yiwang.licenses.selectors import live_license_for
from yiwang.licenses.services import holder_of, license_issue, license_use_log

logger = logging.getLogger(__name__)
_FACT = re.compile(r"^licence\.(?P<code>[0-9A-Z]{21})\.valid$")


def _form_of(case: Case) -> dict[str, Any]:
    from yiwang.cases.services import FORM_CONTEXT

    return json.loads(crypto.decrypt(case.form_cipher, context=FORM_CONTEXT))


def issue_for_case(case: Case) -> None:
    """出证: one licence per result type of the approved case (idempotent: a retry finds it issued)."""
    results = [r for r in (case.version.content.get("results") or []) if r.get("licence_type_code")]
    if not results:
        return
    form = _form_of(case)
    for result in results:
        kind = LicenseType.objects.filter(code=result["licence_type_code"], active=True).first()
        if kind is None:
            logger.warning("办件 %s：证照类型 %s 未登记，未出证", case.number, result["licence_type_code"])
            continue
        if License.objects.filter(case=case, type=kind, version=1).exists():
            continue
        face = {f["key"]: form.get(f["key"], "") for f in kind.face_fields}
        try:
            license_issue(
                kind=kind,
                issuer=case.department,
                person=case.applicant_person,
                enterprise=case.applicant_enterprise,
                face=face,
                case=case,
            )
        except DomainError as error:
            logger.error("办件 %s 出证失败：%s", case.number, error.message)


def licence_fact(name: str, context: FactContext) -> Any:
    """``licence.<code>.valid``: True when the applicant holds a valid licence of that type on the day."""
    match = _FACT.match(name)
    if match is None:
        return MISSING
    holder = holder_of(context.person, context.enterprise)
    if holder is None:
        return MISSING
    return live_license_for(holder[0], holder[1], match["code"], on=context.on) is not None


def material_from_licence(
    person: NaturalPerson | None, enterprise: LegalPerson | None, material: Mapping[str, Any]
) -> Exemption | None:
    """免提交: the applicant's valid licence of the material's type stands in for the paper."""
    code = material.get("licence_type_code")
    holder = holder_of(person, enterprise)
    if not code or holder is None:
        return None
    license = live_license_for(holder[0], holder[1], code)
    if license is None:
        return None
    name = material.get("name", "")

    def log_use(case: Case, actor: Any) -> None:
        license_use_log(
            license=license,
            kind=UseKind.EXEMPT,
            purpose=f"办件 {case.number}（{case.version.name}）申请材料“{name}”免提交",
            actor=actor if getattr(actor, "kind", "") == "staff" else None,  # a clerk at the window, or the system
            case=case,
            department=case.department,
        )

    return Exemption(
        note=f"免提交：已调用电子证照 {license.type.name}（{license.identifier}）",
        reference=license.identifier,
        record=log_use,
    )
