"""The shared material library (材料库) of the demo catalog and the 证照类型代码 it uses.

Items that ask for the same thing use the same material ``code``, so the platform can reuse one upload
(or one e-licence) across items. A material with a ``licence_type_code`` is 免提交 when the applicant's
e-licence of that type is in the store.

证照类型代码 = 定义机构统一社会信用代码 (18) + 3-digit serial. The defining organisations' codes below are
synthetic demo codes (``make_uscc("11", "100000", "YW0000nn")``: well-formed, not any real body's code);
each licence kind has exactly one code, used both where it is asked for and where it is issued.
"""

from __future__ import annotations

import copy
from typing import Any

# Synthetic 18-character codes of the (national) bodies that define each family of licence types.
_POLICE = "11100000YW00000128"
_MARKET = "11100000YW00000203"
_CIVIL = "11100000YW00000390"
_HEALTH = "11100000YW0000047T"
_LAND = "11100000YW0000055M"
_HRSS = "11100000YW0000063G"
_HOUSING = "11100000YW0000071B"
_TRANSPORT = "11100000YW000008X3"
_DISABLED = "11100000YW00000983"
_ENVIRONMENT = "11100000YW0000100N"
_EDUCATION = "11100000YW0000119K"
_CULTURE = "11100000YW0000127E"
_AGRICULTURE = "11100000YW00001359"
_EMERGENCY = "11100000YW00001434"
_WATER = "11100000YW0000151Y"
_VETERANS = "11100000YW000016XN"

LICENCE: dict[str, str] = {
    "id_card": _POLICE + "001",  # 居民身份证
    "household_register": _POLICE + "002",  # 居民户口簿
    "driving_licence": _POLICE + "003",  # 机动车驾驶证
    "residence_permit": _POLICE + "004",  # 居住证
    "vehicle_licence": _POLICE + "005",  # 机动车行驶证
    "no_crime_certificate": _POLICE + "006",  # 无犯罪记录证明
    "passport": _POLICE + "007",  # 普通护照
    "hk_macao_permit": _POLICE + "008",  # 往来港澳通行证
    "business_licence": _MARKET + "001",  # 营业执照
    "food_licence": _MARKET + "002",  # 食品经营许可证
    "drug_licence": _MARKET + "003",  # 药品经营许可证
    "special_equipment": _MARKET + "004",  # 特种设备使用登记证
    "small_food_shop": _MARKET + "005",  # 食品小经营店登记证
    "medical_device_record": _MARKET + "006",  # 第二类医疗器械经营备案凭证
    "operator_certificate": _MARKET + "007",  # 特种设备作业人员证
    "marriage_cert": _CIVIL + "001",  # 结婚证
    "divorce_cert": _CIVIL + "002",  # 离婚证
    "social_org_cert": _CIVIL + "003",  # 社会团体法人登记证书
    "private_non_enterprise_cert": _CIVIL + "004",  # 民办非企业单位登记证书
    "birth_cert": _HEALTH + "001",  # 出生医学证明
    "public_place_licence": _HEALTH + "002",  # 公共场所卫生许可证
    "medical_institution_licence": _HEALTH + "003",  # 医疗机构执业许可证
    "physician_cert": _HEALTH + "004",  # 医师执业证书
    "maternal_licence": _HEALTH + "005",  # 母婴保健技术服务执业许可证
    "radiation_licence": _HEALTH + "006",  # 放射诊疗许可证
    "real_estate_cert": _LAND + "001",  # 不动产权证书
    "real_estate_proof": _LAND + "002",  # 不动产登记证明
    "planning_permit": _LAND + "003",  # 建设工程规划许可证
    "land_planning_permit": _LAND + "004",  # 建设用地规划许可证
    "social_security_card": _HRSS + "001",  # 社会保障卡
    "employment_cert": _HRSS + "002",  # 就业创业证
    "hr_service_licence": _HRSS + "003",  # 人力资源服务许可证
    "labour_dispatch_licence": _HRSS + "004",  # 劳务派遣经营许可证
    "construction_permit": _HOUSING + "001",  # 建筑工程施工许可证
    "presale_permit": _HOUSING + "002",  # 商品房预售许可证
    "contractor_qualification": _HOUSING + "003",  # 建筑业企业资质证书
    "road_transport_licence": _TRANSPORT + "001",  # 道路运输经营许可证
    "ride_hailing_driver": _TRANSPORT + "002",  # 网络预约出租汽车驾驶员证
    "passenger_transport_licence": _TRANSPORT + "003",  # 道路旅客运输经营许可证
    "disability_cert": _DISABLED + "001",  # 中华人民共和国残疾人证
    "pollution_permit": _ENVIRONMENT + "001",  # 排污许可证
    "teacher_cert": _EDUCATION + "001",  # 教师资格证书
    "private_school_licence": _EDUCATION + "002",  # 民办学校办学许可证
    "entertainment_licence": _CULTURE + "001",  # 娱乐经营许可证
    "travel_agency_licence": _CULTURE + "002",  # 旅行社业务经营许可证
    "pesticide_licence": _AGRICULTURE + "001",  # 农药经营许可证
    "veterinary_drug_licence": _AGRICULTURE + "002",  # 兽药经营许可证
    "hazardous_chemicals_licence": _EMERGENCY + "001",  # 危险化学品经营许可证
    "fireworks_licence": _EMERGENCY + "002",  # 烟花爆竹经营（零售）许可证
    "water_permit": _WATER + "001",  # 取水许可证
    "veteran_card": _VETERANS + "001",  # 退役军人优待证
}


def _gov(code: str, name: str, issuing_body: str, licence: str = "", **extra: Any) -> dict[str, Any]:
    """A document a government body issued: original shown, 免提交 when it is an e-licence."""
    return {
        "code": code,
        "name": name,
        "source": "government",
        "issuing_body": issuing_body,
        "material_type": "original",
        "form": "both",
        "licence_type_code": LICENCE[licence] if licence else "",
        **extra,
    }


def _own(code: str, name: str, **extra: Any) -> dict[str, Any]:
    """A document the applicant prepares."""
    return {"code": code, "name": name, "source": "applicant", "material_type": "original", **extra}


MATERIALS: dict[str, dict[str, Any]] = {
    m["code"]: m
    for m in (
        _gov("id_card", "居民身份证", "公安机关", "id_card", accept_standard="在有效期内，与申请人本人一致"),
        _gov("household_register", "居民户口簿", "公安机关", "household_register", accept_standard="户主页及本人页"),
        _gov("business_licence", "营业执照", "市场监督管理部门", "business_licence"),
        _gov("marriage_cert", "结婚证", "婚姻登记机关", "marriage_cert"),
        _gov("real_estate_cert", "不动产权证书", "不动产登记机构", "real_estate_cert"),
        _gov("birth_cert", "出生医学证明", "助产机构", "birth_cert"),
        _gov("social_security_card", "社会保障卡", "人力资源和社会保障部门", "social_security_card"),
        _gov("driving_licence", "机动车驾驶证", "公安机关交通管理部门", "driving_licence"),
        _gov("vehicle_licence", "机动车行驶证", "公安机关交通管理部门", "vehicle_licence"),
        _gov("residence_permit", "居住证", "公安机关", "residence_permit"),
        _gov("disability_cert", "残疾人证", "残疾人联合会", "disability_cert"),
        _gov("divorce_cert", "离婚证", "婚姻登记机关", "divorce_cert"),
        _gov("employment_cert", "就业创业证", "公共就业服务机构", "employment_cert"),
        _gov("planning_permit", "建设工程规划许可证", "自然资源和规划部门", "planning_permit"),
        _gov("land_use_proof", "用地批准手续", "自然资源和规划部门", shared_data_code="land.approval"),
        _gov("food_licence", "食品经营许可证", "市场监督管理部门", "food_licence"),
        _gov("death_proof", "居民死亡医学证明（推断）书", "医疗卫生机构", shared_data_code="health.death"),
        _gov("low_income_proof", "最低生活保障证明", "民政部门", shared_data_code="civil.low_income"),
        _own(
            "application_form",
            "申请表",
            form="both",
            fill_explain="按表格要求如实填写并签字（盖章）",
            blank_form="申请表（空白）.docx",
            sample="申请表（示例）.pdf",
        ),
        _own("photo_2in", "近期免冠二寸彩色照片", copies=0, originals=2, paper_spec="二寸，白色背景"),
        _own("photo_1in", "近期免冠一寸彩色照片", originals=2, paper_spec="一寸，白色背景"),
        _own("articles", "公司章程", fill_explain="全体股东签署", blank_form="公司章程参考文本.docx"),
        _own("premises_proof", "住所（经营场所）使用证明", material_type="either", copies=1),
        _own("floor_plan", "经营场所平面布局图", paper_spec="A4"),
        _own("equipment_list", "主要设备设施清单"),
        _own("management_rules", "管理制度文本"),
        _own("staff_qualification", "专业技术人员资格证明", material_type="copy", originals=0, copies=1),
        _own("commitment_letter", "告知承诺书", fill_explain="申请人签字（盖章）", blank_form="告知承诺书.docx"),
        _own("power_of_attorney", "授权委托书", necessity="optional", optional_when="委托他人代为办理时提供"),
        _own("bank_account", "本人银行账户信息", material_type="copy", originals=0, copies=1),
        _own("labour_contract", "劳动合同", material_type="copy", originals=0, copies=1),
        _own("income_statement", "家庭收入及财产状况申报", fill_explain="如实申报，签字确认"),
        _own("house_contract", "房屋买卖（租赁）合同", material_type="either", copies=1),
        _own("construction_contract", "施工合同", material_type="copy", originals=0, copies=1),
        _own("safety_measures", "保证工程质量和安全的具体措施"),
        _own("env_report", "环境影响评价文件"),
        _own("medical_report", "体检或诊断证明", issuing_body="指定医疗机构"),
    )
}


def material(code: str, **overrides: Any) -> dict[str, Any]:
    """A copy of a library material, e.g. ``material("id_card")`` or ``material("floor_plan",
    necessity="deferrable")``; overrides are attributes of ``schema.Material``."""
    return {**copy.deepcopy(MATERIALS[code]), **overrides}


def deferrable(code: str, **overrides: Any) -> dict[str, Any]:
    """容缺后补: the case is accepted without it; it must follow before the decision."""
    return material(code, **{"necessity": "deferrable", "accept_standard": "可容缺受理，须在办结前补齐", **overrides})


def own(code: str, name: str, **extra: Any) -> dict[str, Any]:
    """A material only one item asks for."""
    return _own(code, name, **extra)
