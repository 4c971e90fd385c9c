"""Licence types, seals and licences for tests and benchmarks, made through the real services."""

from __future__ import annotations

from typing import Any

from yiwang.accounts.models import LegalPerson, NaturalPerson
from yiwang.licenses.choices import HolderType
from yiwang.licenses.models import License, LicenseType, Seal
from yiwang.licenses.services import license_issue, license_type_upsert, seal_create
from yiwang.regions.models import Department

PERSON_TYPE_CODE = "11100000MB0143028L101"  # a certificate held by a person (公民身份号码)
ENTERPRISE_TYPE_CODE = "11100000MB0143028L001"  # 食品经营许可证 (testing.catalog's item result)


def person_license_type(code: str = PERSON_TYPE_CODE, **overrides: Any) -> LicenseType:
    spec: dict[str, Any] = {
        "code": code,
        "name": "个体工商户营业执照",
        "definer_name": "测试证照定义机构",
        "holder_type": HolderType.ID_NUMBER,
        "face_fields": [
            {"key": "shop_name", "label": "名称"},
            {"key": "scope", "label": "经营范围"},
        ],
        "validity_years": 5,
    }
    return license_type_upsert(**{**spec, **overrides})


def enterprise_license_type(code: str = ENTERPRISE_TYPE_CODE, **overrides: Any) -> LicenseType:
    spec: dict[str, Any] = {
        "code": code,
        "name": "食品经营许可证",
        "definer_name": "测试证照定义机构",
        "holder_type": HolderType.USCC,
        "face_fields": [{"key": "business_scope", "label": "经营项目"}, {"key": "address", "label": "经营场所"}],
        "validity_years": 5,
    }
    return license_type_upsert(**{**spec, **overrides})


def seal_for(department: Department) -> Seal:
    """The department's seal (made once)."""
    existing = department.seals.filter(status="active").first()
    return existing or seal_create(actor=None, department_id=department.pk)


def issued_license(
    kind: LicenseType,
    issuer: Department,
    *,
    person: NaturalPerson | None = None,
    enterprise: LegalPerson | None = None,
    face: dict[str, str] | None = None,
) -> License:
    """A licence issued by ``issuer`` (a seal is made for it when it has none)."""
    seal_for(issuer)
    values = face if face is not None else {f["key"]: f"{f['label']}示例" for f in kind.face_fields}
    return license_issue(kind=kind, issuer=issuer, person=person, enterprise=enterprise, face=values)
