"""Demo items of 住房和城乡建设、自然资源和规划、城市管理 and the district 行政审批服务局 (相对集中行政许可):
施工许可、不动产登记、住房公积金提取、道路占用挖掘、规划许可等.

住房公积金 is run by a 管理中心 the demo region does not have; here 临沂市住房和城乡建设局 accepts it.
Catalog serials 05001–05099.
"""

from __future__ import annotations

from typing import Any

from yiwang.catalog.demo.materials import LICENCE, deferrable, material, own
from yiwang.catalog.demo.spec import (
    CITY,
    CONFIRMATION,
    COUNTY,
    ENTERPRISE,
    INSTITUTION,
    LICENSING,
    PERSON,
    PUBLIC_SERVICE,
    ItemSpec,
    age_at_least,
    answer,
    applicant_is,
    approve,
    catalog_code,
    content,
    field,
    org_form,
    person_form,
    result,
)

CITY_HOUSING = "临沂市住房和城乡建设局"
CITY_LAND = "临沂市自然资源和规划局"
CITY_URBAN = "临沂市城市管理局"
COUNTY_APPROVAL = "{county}行政审批服务局"
BUILDERS = (ENTERPRISE, INSTITUTION)

PERMIT = catalog_code(LICENSING, 5001)
PERMIT_BASIS = "《中华人民共和国建筑法》第七条、第八条；《建筑工程施工许可管理办法》"
ROAD = catalog_code(LICENSING, 5002)
ROAD_BASIS = "《城市道路管理条例》第二十九条至第三十三条"
REAL_ESTATE = catalog_code(CONFIRMATION, 5001)
REAL_ESTATE_BASIS = "《中华人民共和国民法典》第二百一十条；《不动产登记暂行条例》第三条、第二十条"
FUND = catalog_code(PUBLIC_SERVICE, 5001)
FUND_BASIS = "《住房公积金管理条例》第二十四条、第二十九条"
PROJECT_COMMITMENT = (
    "本单位承诺：项目已具备法定开工条件，提交的材料真实有效；容缺材料在规定时间内补齐。"
    "如与承诺不符，愿接受撤销许可等处理并承担相应法律责任。"
)
REGISTRATION_FEE = [
    {
        "name": "不动产登记费",
        "standard": "住宅类每件80元；非住宅类每件550元",
        "basis": "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
        "reducible": True,
        "reduction_basis": "小微企业免收；车库、车位、储藏室每件40元",
    }
]


def construction_permit() -> dict[str, Any]:
    return content(
        "建筑工程施工许可证核发",
        summary="建筑工程开工前，建设单位申领施工许可证；告知承诺、容缺受理，全程网办。",
        basis=PERMIT_BASIS,
        accept="已办理用地批准手续；已取得建设工程规划许可证；已确定施工企业；有保证工程质量和安全的具体措施。",
        objects=BUILDERS,
        legal=7,
        promise=3,
        online="full",
        review_unit="建设工程管理科",
        results=[result("建筑工程施工许可证", "licence", LICENCE["construction_permit"])],
        materials=[
            material("application_form", name="建筑工程施工许可申请表"),
            material("land_use_proof"),
            material("planning_permit"),
            deferrable("construction_contract"),
            deferrable("safety_measures"),
            material("commitment_letter"),
        ],
        form=org_form(
            field("project_name", "项目名称", max_length=100),
            field("project_address", "建设地点", "address"),
            field("area", "建筑面积（平方米）", "number"),
            field("cost", "合同价格（万元）", "number"),
        ),
        commitment_text=PROJECT_COMMITMENT,
        high_frequency=True,
        themes=("build",),
    )


def road_permit() -> dict[str, Any]:
    return content(
        "城市道路占用、挖掘许可",
        summary="因工程建设需要临时占用或挖掘城市道路的，事先申请许可。",
        basis=ROAD_BASIS,
        accept="因特殊情况确需临时占用或挖掘城市道路；已制定施工安全保障和交通疏导方案。",
        objects=(ENTERPRISE, INSTITUTION, PERSON),
        legal=20,
        promise=5,
        review_unit="市政管理科",
        visits_explain="须提交经签章的施工图纸原件",
        results=[result("城市道路占用、挖掘许可决定书", "document")],
        materials=[
            material("application_form", name="城市道路占用、挖掘申请表"),
            own("site_plan", "占用、挖掘位置平面图"),
            deferrable("safety_measures", name="施工安全保障及交通疏导方案"),
        ],
        themes=("build",),
    )


def _real_estate(name: str, handle: str, summary: str, accept: str, **kw: Any) -> ItemSpec:
    return ItemSpec(
        REAL_ESTATE,
        "不动产登记",
        CONFIRMATION,
        REAL_ESTATE_BASIS,
        (CITY, COUNTY),
        CITY_LAND,
        handle_item=handle,
        content=content(
            name,
            handle_item_name=name.removeprefix("不动产"),
            summary=summary,
            basis=REAL_ESTATE_BASIS,
            accept=accept,
            review_unit="不动产登记中心",
            high_frequency=True,
            themes=("housing",),
            **kw,
        ),
    )


def _fund(name: str, handle: str, summary: str, accept: str, **kw: Any) -> ItemSpec:
    return ItemSpec(
        FUND,
        "住房公积金提取",
        PUBLIC_SERVICE,
        FUND_BASIS,
        (CITY,),
        CITY_HOUSING,
        handle_item=handle,
        content=content(
            name,
            handle_item_name=name.removeprefix("住房公积金"),
            summary=summary,
            basis=FUND_BASIS,
            accept=accept,
            legal=3,
            online="full",
            review_unit="住房公积金管理科",
            high_frequency=True,
            **kw,
        ),
    )


ITEMS: list[ItemSpec] = [
    ItemSpec(PERMIT, "建筑工程施工许可", LICENSING, PERMIT_BASIS, (CITY, COUNTY), CITY_HOUSING, construction_permit()),
    ItemSpec(
        PERMIT, "建筑工程施工许可", LICENSING, PERMIT_BASIS, (CITY, COUNTY), COUNTY_APPROVAL, construction_permit()
    ),
    ItemSpec(ROAD, "城市道路占用、挖掘许可", LICENSING, ROAD_BASIS, (CITY, COUNTY), CITY_URBAN, road_permit()),
    ItemSpec(ROAD, "城市道路占用、挖掘许可", LICENSING, ROAD_BASIS, (CITY, COUNTY), COUNTY_APPROVAL, road_permit()),
    _real_estate(
        "不动产首次登记",
        "01",
        "新建商品房项目竣工后，房地产开发企业申请国有建设用地使用权及房屋所有权首次登记。",
        "已取得国有建设用地使用权；房屋已竣工验收并完成测绘；土地出让价款及税费已缴清。",
        objects=(ENTERPRISE,),
        legal=30,
        promise=10,
        results=[result("不动产权证书", "licence", LICENCE["real_estate_cert"])],
        materials=[
            material("application_form", name="不动产登记申请书"),
            material("business_licence"),
            material("real_estate_cert", name="国有建设用地使用权不动产权证书"),
            own(
                "completion_record",
                "建设工程竣工验收备案表",
                source="government",
                shared_data_code="housing.completion",
            ),
            own("survey_report", "房屋测绘报告"),
        ],
        is_fee=True,
        fees=REGISTRATION_FEE,
    ),
    _real_estate(
        "不动产转移登记（二手房买卖）",
        "02",
        "二手房买卖，交易、缴税、登记“一窗受理”，买卖双方一次到场。",
        "买卖双方已签订房屋买卖合同；房屋无查封等限制；税费已缴纳。",
        legal=30,
        promise=3,
        visits_explain="买卖双方须共同到场核验身份并签署申请",
        joint_departments=[CITY_HOUSING],
        steps=[
            {"name": "一窗受理", "unit": "不动产登记中心综合窗口", "limit": {"value": 0}},
            {"name": "交易备案", "unit": CITY_HOUSING, "limit": {"value": 1}},
            {"name": "登记审核", "unit": "不动产登记中心", "limit": {"value": 1}},
            {"name": "登簿发证", "unit": "不动产登记中心", "limit": {"value": 1}},
        ],
        results=[result("不动产权证书", "licence", LICENCE["real_estate_cert"])],
        materials=[
            material("application_form", name="不动产登记申请书"),
            material("id_card", name="买卖双方身份证明"),
            material("real_estate_cert"),
            material("house_contract", name="房屋买卖合同"),
            material("marriage_cert", necessity="optional", optional_when="房屋为夫妻共有的提供"),
        ],
        is_fee=True,
        fees=REGISTRATION_FEE,
        cross_scope="3",
    ),
    _real_estate(
        "不动产抵押登记",
        "03",
        "办理房产抵押贷款，可在合作银行网点直接申请，全程网办。",
        "抵押人与抵押权人已签订抵押合同和主债权合同；抵押财产已办理不动产登记。",
        objects=(PERSON, ENTERPRISE),
        legal=30,
        promise=1,
        online="full",
        results=[result("不动产登记证明（抵押权）", "licence", LICENCE["real_estate_proof"])],
        materials=[
            material("application_form", name="不动产登记申请书"),
            material("id_card", name="抵押人身份证明"),
            material("real_estate_cert"),
            own("mortgage_contract", "抵押合同及主债权合同"),
        ],
        is_fee=True,
        fees=REGISTRATION_FEE,
    ),
    _real_estate(
        "不动产抵押权注销登记",
        "04",
        "贷款还清后，抵押权人（银行）网上申请注销抵押，即时办结。",
        "主债权已消灭，或抵押权人放弃抵押权。",
        objects=(PERSON, ENTERPRISE),
        legal=30,
        instant=True,
        online="full",
        results=[result("不动产登记簿记载（抵押权注销）", "record")],
        materials=[
            material("application_form", name="不动产登记申请书"),
            material("real_estate_cert", name="不动产登记证明（抵押权）"),
            own("debt_cleared", "主债权消灭证明或抵押权人同意注销的证明"),
        ],
    ),
    _fund(
        "住房公积金购房提取",
        "01",
        "购买自住住房的职工及其配偶提取住房公积金；网上申请，1个工作日到账。",
        "购买{city}范围内自住住房，已取得不动产权证书或已网签备案，且未使用住房公积金贷款。",
        promise=1,
        results=[result("住房公积金提取核准（转入本人账户）", "record")],
        materials=[material("id_card"), material("real_estate_cert"), material("bank_account")],
        themes=("housing",),
    ),
    _fund(
        "住房公积金租房提取",
        "02",
        "无自有住房的职工租房自住，按月或按年提取住房公积金；系统核验后秒批到账。",
        "职工及配偶在{city}无自有住房，且租赁住房自住。",
        instant=True,
        results=[result("住房公积金提取核准（转入本人账户）", "record")],
        materials=[material("id_card"), material("house_contract", name="房屋租赁合同", necessity="optional")],
        form=person_form(
            field("rent_address", "租赁住房地址", "address"),
            field("monthly_rent", "月租金（元）", "number"),
        ),
        auto_approval=True,
        auto_rules=[
            approve(
                "月租金在提取限额内",
                applicant_is("person"),
                age_at_least(18),
                answer("monthly_rent", "gt", 0, label="月租金大于0元"),
                answer("monthly_rent", "le", 1500, label="月租金不超过1500元（每月提取限额）"),
                reason="租房自住，月租金在每月提取限额内，按实际月租金提取",
            ),
        ],
        themes=("housing",),
    ),
    _fund(
        "住房公积金离退休提取",
        "03",
        "职工离休、退休的，一次性提取本人住房公积金账户余额并销户。",
        "职工已办理离休、退休手续。",
        instant=True,
        results=[result("住房公积金销户提取核准", "record")],
        materials=[material("id_card"), material("bank_account")],
        themes=("retire", "housing"),
    ),
    ItemSpec(
        catalog_code(LICENSING, 5003),
        "建设工程规划许可",
        LICENSING,
        "《中华人民共和国城乡规划法》第四十条",
        (CITY,),
        CITY_LAND,
        content(
            "建设工程规划许可证核发",
            summary="在城市规划区内进行建筑物、构筑物、道路、管线等工程建设，申领建设工程规划许可证。",
            basis="《中华人民共和国城乡规划法》第四十条",
            accept="已取得建设用地规划许可及用地批准手续；建设工程设计方案符合控制性详细规划和规划条件。",
            objects=BUILDERS,
            legal=20,
            promise=10,
            online="full",
            review_unit="建设工程规划科",
            results=[result("建设工程规划许可证", "licence", LICENCE["planning_permit"])],
            materials=[
                material("application_form", name="建设工程规划许可申请表"),
                material("land_use_proof"),
                own("design_scheme", "建设工程设计方案总平面图及电子报批文件"),
            ],
            high_frequency=True,
            themes=("build",),
        ),
    ),
    ItemSpec(
        catalog_code(LICENSING, 5004),
        "建设用地规划许可",
        LICENSING,
        "《中华人民共和国城乡规划法》第三十七条、第三十八条",
        (CITY,),
        CITY_LAND,
        content(
            "建设用地规划许可证核发",
            summary="以出让或划拨方式取得国有土地使用权的建设项目，申领建设用地规划许可证；与用地批准合并办理。",
            basis="《中华人民共和国城乡规划法》第三十七条、第三十八条",
            accept="已签订国有建设用地使用权出让合同或取得划拨用地批准；项目符合国土空间规划。",
            objects=BUILDERS,
            legal=20,
            promise=5,
            online="full",
            review_unit="用地规划科",
            results=[result("建设用地规划许可证", "licence", LICENCE["land_planning_permit"])],
            materials=[
                material("application_form", name="建设用地规划许可申请表"),
                own("land_contract", "国有建设用地使用权出让合同或划拨决定书"),
                material("business_licence"),
            ],
            themes=("build",),
        ),
    ),
    ItemSpec(
        catalog_code(LICENSING, 5005),
        "商品房预售许可",
        LICENSING,
        "《中华人民共和国城市房地产管理法》第四十五条；《城市商品房预售管理办法》第七条",
        (CITY,),
        CITY_HOUSING,
        content(
            "商品房预售许可",
            summary="房地产开发企业预售商品房前，申领商品房预售许可证。",
            basis="《中华人民共和国城市房地产管理法》第四十五条；《城市商品房预售管理办法》第七条",
            accept="已交付全部土地使用权出让金并取得土地使用权证书；持有建设工程规划许可证和施工许可证；投入开发建设的资金达到工程建设总投资的25%以上。",
            objects=(ENTERPRISE,),
            legal=10,
            promise=5,
            review_unit="房地产市场监管科",
            results=[result("商品房预售许可证", "licence", LICENCE["presale_permit"])],
            materials=[
                material("application_form", name="商品房预售许可申请表"),
                material("business_licence"),
                material("planning_permit"),
                own("investment_proof", "工程施工进度证明"),
                deferrable("management_rules", name="商品房预售方案"),
            ],
            themes=("build", "license"),
        ),
    ),
    ItemSpec(
        catalog_code(LICENSING, 5006),
        "城市建筑垃圾处置核准",
        LICENSING,
        "《国务院对确需保留的行政审批项目设定行政许可的决定》第101项；《城市建筑垃圾管理规定》",
        (CITY, COUNTY),
        CITY_URBAN,
        content(
            "城市建筑垃圾处置核准",
            summary="施工单位处置建筑垃圾前，申请核准，按核准的运输路线、时间和消纳场所处置。",
            basis="《国务院对确需保留的行政审批项目设定行政许可的决定》第101项；《城市建筑垃圾管理规定》",
            accept="有建筑垃圾分类处置方案和消纳场所；运输车辆具备全密闭运输机械装置并安装定位系统。",
            objects=BUILDERS,
            legal=20,
            instant=True,
            online="full",
            results=[result("城市建筑垃圾处置核准决定书", "document")],
            materials=[
                material("application_form", name="建筑垃圾处置核准申请表"),
                own("disposal_plan", "建筑垃圾处置方案"),
                material("commitment_letter"),
            ],
            form=org_form(
                field("site", "工地地址", "address"),
                field("volume", "预计处置量（立方米）", "number"),
            ),
            commitment_text="本单位承诺按核准的运输路线、时间和消纳场所处置建筑垃圾，运输车辆密闭、定位系统正常；"
            "如有违反，愿接受撤销核准等处理。",
            themes=("build",),
        ),
    ),
    ItemSpec(
        catalog_code(LICENSING, 5007),
        "建筑业企业资质核准",
        LICENSING,
        "《中华人民共和国建筑法》第十三条；《建筑业企业资质管理规定》",
        (CITY,),
        CITY_HOUSING,
        content(
            "建筑业企业资质核准（施工总承包、专业承包等级资质）",
            summary="从事建筑施工的企业申请资质，告知承诺方式办理，提交承诺后当即审批。",
            basis="《中华人民共和国建筑法》第十三条；《建筑业企业资质管理规定》",
            accept="企业具有法人资格，具备相应资质标准规定的资产、注册建造师、技术人员和工程业绩。",
            objects=(ENTERPRISE,),
            legal=20,
            promise=5,
            online="full",
            review_unit="建筑市场监管科",
            results=[result("建筑业企业资质证书", "licence", LICENCE["contractor_qualification"])],
            materials=[
                material("application_form", name="建筑业企业资质申请表"),
                material("business_licence"),
                material("staff_qualification", name="注册建造师及技术负责人资格证明"),
                material("commitment_letter"),
            ],
            commitment_text="本企业承诺满足所申请资质标准要求，申报的人员、业绩真实；如与承诺不符，愿接受撤销资质等处理。",
            themes=("license", "build"),
        ),
    ),
]
