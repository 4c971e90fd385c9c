"""Demo licences (all fictional): the licence types the demo catalog names, a seal for every department of the
demo region, and a few licences for the demo citizen 张三 and his enterprise, so that “我的证照”, 一码亮证,
the public verification page and 免提交 have something to show right after ``make run``.

Idempotent: types are upserted, seals made only for departments without one, licences only once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from yiwang.accounts.models import LegalPerson, NaturalPerson
from yiwang.catalog.demo.materials import LICENCE
from yiwang.catalog.models import ItemVersion
from yiwang.licenses.choices import HolderType
from yiwang.licenses.models import License, LicenseType
from yiwang.licenses.selectors import live_license_for
from yiwang.licenses.services import holder_of, license_issue, license_type_upsert, seal_create
from yiwang.regions.models import Department

NAMES: dict[str, str] = {
    "id_card": "居民身份证",
    "household_register": "居民户口簿",
    "driving_licence": "机动车驾驶证",
    "residence_permit": "居住证",
    "vehicle_licence": "机动车行驶证",
    "no_crime_certificate": "无犯罪记录证明",
    "passport": "普通护照",
    "hk_macao_permit": "往来港澳通行证",
    "business_licence": "营业执照",
    "food_licence": "食品经营许可证",
    "drug_licence": "药品经营许可证",
    "special_equipment": "特种设备使用登记证",
    "small_food_shop": "食品小经营店登记证",
    "medical_device_record": "第二类医疗器械经营备案凭证",
    "operator_certificate": "特种设备作业人员证",
    "marriage_cert": "结婚证",
    "divorce_cert": "离婚证",
    "social_org_cert": "社会团体法人登记证书",
    "private_non_enterprise_cert": "民办非企业单位登记证书",
    "birth_cert": "出生医学证明",
    "public_place_licence": "公共场所卫生许可证",
    "medical_institution_licence": "医疗机构执业许可证",
    "physician_cert": "医师执业证书",
    "maternal_licence": "母婴保健技术服务执业许可证",
    "radiation_licence": "放射诊疗许可证",
    "real_estate_cert": "不动产权证书",
    "real_estate_proof": "不动产登记证明",
    "planning_permit": "建设工程规划许可证",
    "land_planning_permit": "建设用地规划许可证",
    "social_security_card": "社会保障卡",
    "employment_cert": "就业创业证",
    "hr_service_licence": "人力资源服务许可证",
    "labour_dispatch_licence": "劳务派遣经营许可证",
    "construction_permit": "建筑工程施工许可证",
    "presale_permit": "商品房预售许可证",
    "contractor_qualification": "建筑业企业资质证书",
    "road_transport_licence": "道路运输经营许可证",
    "ride_hailing_driver": "网络预约出租汽车驾驶员证",
    "passenger_transport_licence": "道路旅客运输经营许可证",
    "disability_cert": "中华人民共和国残疾人证",
    "pollution_permit": "排污许可证",
    "teacher_cert": "教师资格证书",
    "private_school_licence": "民办学校办学许可证",
    "entertainment_licence": "娱乐经营许可证",
    "travel_agency_licence": "旅行社业务经营许可证",
    "pesticide_licence": "农药经营许可证",
    "veterinary_drug_licence": "兽药经营许可证",
    "hazardous_chemicals_licence": "危险化学品经营许可证",
    "fireworks_licence": "烟花爆竹经营（零售）许可证",
    "water_permit": "取水许可证",
    "veteran_card": "退役军人优待证",
}

# Licences held by a person (公民身份号码); every other type is held by an organisation (统一社会信用代码).
PERSON_HELD = frozenset(
    {
        "id_card",
        "household_register",
        "driving_licence",
        "residence_permit",
        "vehicle_licence",
        "no_crime_certificate",
        "passport",
        "hk_macao_permit",
        "marriage_cert",
        "divorce_cert",
        "birth_cert",
        "physician_cert",
        "real_estate_cert",
        "real_estate_proof",
        "social_security_card",
        "employment_cert",
        "ride_hailing_driver",
        "disability_cert",
        "teacher_cert",
        "veteran_card",
        "operator_certificate",
    }
)
# 有效期(年); a type not listed: 5 years for an organisation's licence, 长期 for a person's certificate.
VALIDITY_YEARS: dict[str, int | None] = {
    "id_card": 20,
    "driving_licence": 6,
    "residence_permit": 1,
    "passport": 10,
    "hk_macao_permit": 10,
    "no_crime_certificate": 1,
    "business_licence": None,  # 营业期限 is on the face; the licence itself does not lapse
}
SKIPPED_FIELD_TYPES = frozenset({"file", "group", "phone", "id_number", "email"})
FACE_FIELDS_MAX = 6
COUNTY_CODE = "371302"  # 兰山区: the demo licences are issued here


@dataclass(frozen=True)
class LicensesDemoSummary:
    types: int
    seals: int
    licenses: int


def _face_fields_by_type() -> dict[str, list[dict[str, str]]]:
    """照面信息 of a type: the form fields of the first published item whose result issues it."""
    found: dict[str, list[dict[str, str]]] = {}
    for version in ItemVersion.objects.only("content").order_by("id"):
        for result in version.content.get("results") or []:
            code = result.get("licence_type_code")
            if not code or code in found:
                continue
            fields = [
                {"key": f["key"], "label": f["label"]}
                for f in version.content.get("form") or []
                if f.get("type") not in SKIPPED_FIELD_TYPES
            ]
            found[code] = fields[:FACE_FIELDS_MAX]
    return found


def _types() -> int:
    faces = _face_fields_by_type()
    for key, code in LICENCE.items():
        person = key in PERSON_HELD
        license_type_upsert(
            code=code,
            name=NAMES.get(key, key),
            definer_name="演示证照定义机构",
            holder_type=HolderType.ID_NUMBER if person else HolderType.USCC,
            face_fields=faces.get(code, []),
            validity_years=VALIDITY_YEARS.get(key, None if person else 5),
        )
    return len(LICENCE)


def _seals() -> int:
    made = 0
    without = Department.objects.exclude(seals__isnull=False).filter(
        Q(region__code__startswith="3713") | Q(region__code="370000")
    )
    for department in without.order_by("id"):
        seal_create(actor=None, department_id=department.pk)
        made += 1
    return made


def _issue_unless_held(kind: LicenseType, issuer: Department, **holder: object) -> int:
    """Issue a demo licence unless the holder already has a live one of the type (a demo case may have)."""
    person = holder.get("person")
    enterprise = holder.get("enterprise")
    held = holder_of(person, enterprise)  # type: ignore[arg-type]
    if held is None or live_license_for(held[0], held[1], kind.code) is not None:
        return 0
    face = {f["key"]: "" for f in kind.face_fields}
    license_issue(kind=kind, issuer=issuer, face=face, **holder)  # type: ignore[arg-type]
    return 1


def licenses_demo_issue() -> int:
    """张三's 居民户口簿 and his company's 营业执照, after the demo cases (which may have issued them)."""
    person = NaturalPerson.objects.filter(name="张三", region__code=COUNTY_CODE).first()
    enterprise = LegalPerson.objects.filter(legal_representative=person).first() if person else None
    market = Department.objects.filter(region__code=COUNTY_CODE, name__contains="市场监督管理").first()
    police = Department.objects.filter(region__code=COUNTY_CODE, name__contains="公安").first()
    issued = 0
    if enterprise is not None and market is not None:
        kind = LicenseType.objects.get(code=LICENCE["business_licence"])
        issued += _issue_unless_held(kind, market, enterprise=enterprise)
    if person is not None and police is not None:
        kind = LicenseType.objects.get(code=LICENCE["household_register"])
        issued += _issue_unless_held(kind, police, person=person)
    return issued


def licenses_demo_load() -> LicensesDemoSummary:
    """Types and seals, before the demo cases (an approved one gets its licence); then call
    :func:`licenses_demo_issue` after them."""
    return LicensesDemoSummary(types=_types(), seals=_seals(), licenses=License.objects.count())
