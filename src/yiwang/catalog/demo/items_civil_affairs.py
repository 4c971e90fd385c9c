"""Demo items of the 民政局 (city and districts): 婚姻登记、社会救助、高龄津贴、残疾人证、社会组织与养老机构.

残疾人证 is issued by the 残疾人联合会, which the demo region does not have; here the district 民政局
accepts it. 临时救助 is shared with the subdistrict offices (see ``items_town``). Catalog serials 04001–04099.
"""

from __future__ import annotations

from typing import Any

from yiwang.catalog.demo.materials import LICENCE, deferrable, material, own
from yiwang.catalog.demo.spec import (
    CITY,
    CONFIRMATION,
    COUNTY,
    ENTERPRISE,
    LICENSING,
    OTHER_POWER,
    PAYMENT,
    PUBLIC_SERVICE,
    SOCIAL_ORG,
    TOWN,
    ItemSpec,
    catalog_code,
    content,
    field,
    org_form,
    person_form,
    result,
)

COUNTY_CIVIL = "{county}民政局"
CITY_CIVIL = "临沂市民政局"
MARRIAGE = catalog_code(CONFIRMATION, 4001)
MARRIAGE_BASIS = "《中华人民共和国民法典》第一千零四十九条、第一千零七十六条、第一千零七十七条；《婚姻登记条例》"
MARRIAGE_HALL = "婚姻登记须在婚姻登记处的登记和颁证场所由双方当事人共同到场办理，婚姻登记处单独设置"
ASSISTANCE_BASIS = "《社会救助暂行办法》；《山东省社会救助办法》"
TEMPORARY_ASSISTANCE = catalog_code(PAYMENT, 4002)
ASSISTANCE_COMMITMENT = (
    "本人承诺：申报的家庭成员、收入和财产状况真实完整，同意民政部门依法核对家庭经济状况；"
    "如有隐瞒或虚报，愿退还所领救助金并承担相应法律责任。"
)


def temporary_assistance(department: str) -> dict[str, Any]:
    """临时救助: the same content at the district 民政局 and, for small sums, at the subdistrict office."""
    return content(
        "临时救助",
        summary="因火灾、交通事故、突发重病等导致基本生活暂时出现严重困难的家庭或个人，申请临时救助；急难情况先行救助。",
        basis=ASSISTANCE_BASIS + "第四十七条至第五十条",
        accept="因突发性、紧迫性、灾难性困难，或因生活必需支出突然增加超出家庭承受能力，基本生活暂时出现严重困难。",
        legal=15,
        promise=5,
        limit_explain="急难型救助由{dept}先行救助，事后补充说明",
        review_unit="社会救助科" if department == "county" else "社会事务办公室",
        results=[result("临时救助审批决定", "document")],
        materials=[
            material("id_card"),
            material("household_register"),
            material("income_statement"),
            deferrable("medical_report", name="困难情况证明（医疗票据、事故证明等）"),
        ],
        commitment_text=ASSISTANCE_COMMITMENT,
        high_frequency=True,
        themes=("social",),
    )


ITEMS: list[ItemSpec] = [
    ItemSpec(
        MARRIAGE,
        "婚姻登记",
        CONFIRMATION,
        MARRIAGE_BASIS,
        (COUNTY,),
        COUNTY_CIVIL,
        handle_item="01",
        content=content(
            "内地居民结婚登记",
            handle_item_name="结婚登记",
            summary="男女双方自愿结婚，共同到婚姻登记处申请结婚登记，当场发给结婚证；可网上预约。",
            basis=MARRIAGE_BASIS,
            accept="男年满22周岁、女年满20周岁；双方自愿；均无配偶；不属于直系血亲或三代以内旁系血亲。",
            legal=1,
            instant=True,
            online="pre",
            visits_explain="结婚登记须男女双方本人共同到场",
            in_hall=False,
            not_in_hall_reason=MARRIAGE_HALL,
            transact_address="{county}婚姻登记处",
            transact_time="周一至周五 9:00-17:00（法定节假日除外；“520”等特殊日期预约延时）",
            results=[result("结婚证", "licence", LICENCE["marriage_cert"])],
            materials=[
                material("id_card", name="双方居民身份证"),
                material(
                    "household_register",
                    name="双方居民户口簿",
                    necessity="optional",
                    optional_when="跨省通办试点地区凭身份证办理",
                ),
                material("photo_2in", name="双方近期半身免冠合影照片", originals=3),
            ],
            cross_scope="1",
            high_frequency=True,
            themes=("marriage",),
        ),
    ),
    ItemSpec(
        MARRIAGE,
        "婚姻登记",
        CONFIRMATION,
        MARRIAGE_BASIS,
        (COUNTY,),
        COUNTY_CIVIL,
        handle_item="02",
        content=content(
            "内地居民离婚登记",
            handle_item_name="离婚登记",
            summary="夫妻双方自愿离婚，共同申请；30日离婚冷静期届满后30日内双方再到场领取离婚证。",
            basis=MARRIAGE_BASIS,
            accept="双方自愿离婚，对子女抚养、财产及债务处理等事项协商一致，签订离婚协议书；双方均具有完全民事行为能力。",
            legal=60,
            promise=60,
            unit="natural_day",
            limit_explain="含30日离婚冷静期；冷静期届满后30日内双方未共同到场申请发给离婚证的，视为撤回申请",
            online="pre",
            visits_explain="申请时和冷静期届满后，双方均须本人共同到场",
            in_hall=False,
            not_in_hall_reason=MARRIAGE_HALL,
            transact_address="{county}婚姻登记处",
            transact_time="周一至周五 9:00-17:00",
            steps=[
                {"name": "申请受理", "unit": "婚姻登记处", "limit": {"value": 0, "unit": "natural_day"}},
                {"name": "离婚冷静期", "unit": "婚姻登记处", "limit": {"value": 30, "unit": "natural_day"}},
                {"name": "审查登记", "unit": "婚姻登记处", "limit": {"value": 30, "unit": "natural_day"}},
            ],
            results=[result("离婚证", "licence", LICENCE["divorce_cert"])],
            materials=[
                material("id_card", name="双方居民身份证"),
                material("household_register", name="双方居民户口簿"),
                material("marriage_cert"),
                own("divorce_agreement", "离婚协议书", originals=3),
                material("photo_2in", name="本人近期半身免冠照片", originals=2),
            ],
            high_frequency=True,
            themes=("marriage",),
        ),
    ),
    ItemSpec(
        catalog_code(PAYMENT, 4001),
        "最低生活保障",
        PAYMENT,
        ASSISTANCE_BASIS + "第九条至第十五条；《最低生活保障审核确认办法》",
        (COUNTY,),
        COUNTY_CIVIL,
        content=content(
            "最低生活保障审核确认",
            summary="共同生活的家庭成员人均收入低于当地低保标准、且财产状况符合规定的家庭，申请最低生活保障。",
            basis=ASSISTANCE_BASIS + "第九条至第十五条；《最低生活保障审核确认办法》",
            accept="持有{city}户籍；家庭人均收入低于当地最低生活保障标准；家庭财产状况符合规定。",
            legal=30,
            promise=15,
            limit_explain="含入户调查、信息核对和公示时间",
            review_unit="社会救助科",
            results=[result("最低生活保障审核确认决定", "document"), result("最低生活保障证明", "record")],
            materials=[
                material("id_card", name="家庭成员身份证明"),
                material("household_register"),
                material("income_statement"),
                material("disability_cert", necessity="optional", optional_when="家庭成员有残疾的提供"),
            ],
            commitment_text=ASSISTANCE_COMMITMENT,
            high_frequency=True,
            themes=("social",),
        ),
    ),
    ItemSpec(
        TEMPORARY_ASSISTANCE,
        "临时救助",
        PAYMENT,
        ASSISTANCE_BASIS + "第四十七条至第五十条",
        (COUNTY, TOWN),
        COUNTY_CIVIL,
        content=temporary_assistance("county"),
    ),
    ItemSpec(
        catalog_code(PAYMENT, 4003),
        "高龄津贴发放",
        PAYMENT,
        "《中华人民共和国老年人权益保障法》第三十三条；《山东省老年人权益保障条例》",
        (COUNTY,),
        COUNTY_CIVIL,
        content=content(
            "80周岁以上老年人高龄津贴申领",
            summary="年满80周岁的{city}户籍老年人申领高龄津贴；数据核验通过即时确认，按月发放到社保卡。",
            basis="《中华人民共和国老年人权益保障法》第三十三条；《山东省老年人权益保障条例》",
            accept="具有{city}户籍、年满80周岁的老年人。",
            legal=5,
            instant=True,
            online="full",
            results=[result("高龄津贴发放确认", "record")],
            materials=[material("id_card"), material("social_security_card", name="社会保障卡（金融账户）")],
            form=person_form(
                field("birth_date", "出生日期", "date"),
                field("address", "居住地址", "address"),
            ),
            auto_approval=True,
            high_frequency=True,
            themes=("retire",),
        ),
    ),
    ItemSpec(
        catalog_code(PUBLIC_SERVICE, 4001),
        "残疾人证核发",
        PUBLIC_SERVICE,
        "《中华人民共和国残疾人保障法》；《中华人民共和国残疾人证管理办法》",
        (COUNTY,),
        COUNTY_CIVIL,
        content=content(
            "残疾人证申领（新办）",
            summary="符合残疾标准的人员申领第三代残疾人证；残疾评定由指定医疗机构进行。",
            basis="《中华人民共和国残疾人保障法》；《中华人民共和国残疾人证管理办法》",
            accept="具有{city}户籍，经指定医疗机构评定符合《残疾人残疾分类和分级》标准。",
            legal=20,
            promise=10,
            visits_explain="须本人到指定医疗机构接受残疾评定",
            review_unit="残疾人事务科",
            results=[result("中华人民共和国残疾人证", "licence", LICENCE["disability_cert"])],
            materials=[
                material("id_card"),
                material("household_register"),
                material("photo_2in", originals=3),
                material("medical_report", name="残疾评定表"),
            ],
            high_frequency=True,
            themes=("disability",),
        ),
    ),
    ItemSpec(
        catalog_code(LICENSING, 4001),
        "社会团体成立、变更、注销登记",
        LICENSING,
        "《社会团体登记管理条例》第三条、第九条、第十一条",
        (CITY, COUNTY),
        CITY_CIVIL,
        handle_item="01",
        content=content(
            "社会团体成立登记",
            handle_item_name="成立登记",
            summary="成立行业协会、学会等社会团体，经审查准予登记后发给社会团体法人登记证书。",
            basis="《社会团体登记管理条例》第三条、第九条、第十一条",
            accept="有50个以上个人会员或30个以上单位会员；有规范的名称和组织机构；有固定住所、专职工作人员和合法资产。",
            objects=(SOCIAL_ORG,),
            legal=60,
            promise=20,
            review_unit="社会组织管理科",
            results=[result("社会团体法人登记证书", "licence", LICENCE["social_org_cert"])],
            materials=[
                material("application_form", name="社会团体成立登记申请书"),
                material("articles", name="社会团体章程草案"),
                deferrable("premises_proof"),
                own("capital_proof", "验资报告"),
            ],
            themes=("open",),
        ),
    ),
    ItemSpec(
        catalog_code(LICENSING, 4002),
        "民办非企业单位成立、变更、注销登记",
        LICENSING,
        "《民办非企业单位登记管理暂行条例》第三条、第八条",
        (CITY, COUNTY),
        CITY_CIVIL,
        handle_item="01",
        content=content(
            "民办非企业单位（社会服务机构）成立登记",
            handle_item_name="成立登记",
            summary="举办民办学校、养老院等非营利性社会服务机构，办理成立登记。",
            basis="《民办非企业单位登记管理暂行条例》第三条、第八条",
            accept="经业务主管单位审查同意；有规范的名称、必要的组织机构；有与业务活动相适应的从业人员、合法财产和场所。",
            objects=(SOCIAL_ORG,),
            legal=60,
            promise=20,
            review_unit="社会组织管理科",
            results=[result("民办非企业单位登记证书", "licence", LICENCE["private_non_enterprise_cert"])],
            materials=[
                material("application_form", name="民办非企业单位成立登记申请书"),
                material("articles", name="民办非企业单位章程草案"),
                material("premises_proof"),
                material("id_card", name="拟任负责人身份证明"),
            ],
            themes=("open",),
        ),
    ),
    ItemSpec(
        catalog_code(OTHER_POWER, 4001),
        "养老机构备案",
        OTHER_POWER,
        "《中华人民共和国老年人权益保障法》第四十三条；《养老机构管理办法》第九条",
        (CITY, COUNTY),
        CITY_CIVIL,
        content=content(
            "养老机构备案",
            summary="设立养老机构，登记后向民政部门备案，承诺符合标准即可开展服务。",
            basis="《中华人民共和国老年人权益保障法》第四十三条；《养老机构管理办法》第九条",
            accept="已依法办理营业执照或民办非企业单位登记；服务场所符合消防、卫生和建筑安全要求。",
            objects=(ENTERPRISE, SOCIAL_ORG),
            legal=1,
            instant=True,
            online="full",
            results=[result("养老机构备案回执", "record")],
            materials=[material("business_licence", name="营业执照或登记证书"), material("commitment_letter")],
            form=org_form(
                field("beds", "床位数", "number"),
                field("address", "服务场所地址", "address"),
            ),
            commitment_text="本机构承诺按照养老机构服务安全基本规范开展服务，服务场所符合消防、建筑安全要求，"
            "备案信息真实；如有不实，愿接受处理。",
            themes=("license", "retire"),
        ),
    ),
]
