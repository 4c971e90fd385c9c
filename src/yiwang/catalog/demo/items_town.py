"""Demo items of the subdistrict offices (街道办事处, 镇级 level 5) of 兰山区、罗庄区、河东区: services close
to home, accepted at each 便民服务中心.

Catalog serials 08001–08099; 临时救助 shares its entry with the district 民政局 (``items_civil_affairs``).
"""

from __future__ import annotations

from yiwang.catalog.demo.items_civil_affairs import ASSISTANCE_BASIS, TEMPORARY_ASSISTANCE, temporary_assistance
from yiwang.catalog.demo.materials import deferrable, material, own
from yiwang.catalog.demo.spec import (
    COUNTY,
    PAYMENT,
    PUBLIC_SERVICE,
    TOWN,
    ItemSpec,
    age_at_least,
    age_below,
    applicant_is,
    approve,
    catalog_code,
    content,
    field,
    person_form,
    refuse,
    result,
)

OFFICE = "{town}办事处"
PENSION_BASIS = (
    "《中华人民共和国社会保险法》第二十条至第二十二条；《国务院关于建立统一的城乡居民基本养老保险制度的意见》"
)
ELDERLY_BASIS = "《中华人民共和国老年人权益保障法》；《山东省老年人权益保障条例》"
DISABILITY_BASIS = "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）"
FAMILY_BASIS = "《中华人民共和国人口与计划生育法》第二十七条；《山东省人口与计划生育条例》"

ITEMS: list[ItemSpec] = [
    ItemSpec(
        TEMPORARY_ASSISTANCE,
        "临时救助",
        PAYMENT,
        ASSISTANCE_BASIS + "第四十七条至第五十条",
        (COUNTY, TOWN),
        OFFICE,
        content=temporary_assistance("town"),
    ),
    ItemSpec(
        catalog_code(PUBLIC_SERVICE, 8001),
        "城乡居民基本养老保险参保登记",
        PUBLIC_SERVICE,
        PENSION_BASIS,
        (COUNTY, TOWN),
        OFFICE,
        content=content(
            "城乡居民基本养老保险参保登记",
            summary="年满16周岁、未参加职工养老保险的城乡居民，在户籍所在地街道便民服务中心参保登记，当场办结。",
            basis=PENSION_BASIS,
            accept="年满16周岁（不含在校学生），非国家机关和事业单位工作人员，不属于职工基本养老保险覆盖范围。",
            legal=1,
            instant=True,
            visits_explain="可由村（社区）协办员代办；本人办理的须到便民服务中心核验身份",
            results=[result("城乡居民基本养老保险参保登记信息", "record")],
            materials=[material("id_card"), material("household_register")],
            high_frequency=True,
            themes=("retire", "social"),
        ),
    ),
    ItemSpec(
        catalog_code(PAYMENT, 8001),
        "城乡居民基本养老保险待遇支付",
        PAYMENT,
        PENSION_BASIS,
        (COUNTY, TOWN),
        OFFICE,
        content=content(
            "城乡居民基本养老保险待遇申领",
            summary="参保居民年满60周岁、累计缴费满15年的，网上申领养老金，次月起按月发放到社保卡。",
            basis=PENSION_BASIS,
            accept="参加城乡居民基本养老保险，年满60周岁，累计缴费满15年（或按规定补缴）；未领取国家规定的基本养老保障待遇。",
            legal=20,
            promise=5,
            online="full",
            review_unit="社会保障服务站",
            results=[result("城乡居民养老保险待遇核定表", "record")],
            materials=[material("id_card"), material("social_security_card", name="社会保障卡（金融账户）")],
            high_frequency=True,
            themes=("retire",),
        ),
    ),
    ItemSpec(
        catalog_code(PUBLIC_SERVICE, 8002),
        "老年人优待证办理",
        PUBLIC_SERVICE,
        ELDERLY_BASIS,
        (COUNTY, TOWN),
        OFFICE,
        content=content(
            "老年人优待证办理",
            summary="年满60周岁的老年人（含常住{county}的外地老人）办理老年人优待证，凭证享受乘车、游览等优待。",
            basis=ELDERLY_BASIS,
            accept="年满60周岁，具有{city}户籍或在{city}居住。",
            legal=1,
            instant=True,
            online="accept",
            visits_explain="须到便民服务中心现场拍照、领取优待证（可由家属代办）",
            results=[result("老年人优待证", "licence")],
            materials=[
                material("id_card"),
                material("photo_1in", necessity="optional", optional_when="现场拍照的免于提交"),
            ],
            form=person_form(field("address", "居住地址", "address")),
            auto_approval=True,
            auto_rules=[
                approve(
                    "年满60周岁",
                    applicant_is("person"),
                    age_at_least(60),
                    reason="申请人年满60周岁，符合老年人优待证办理条件，可到便民服务中心领取",
                ),
                refuse(
                    "未满60周岁",
                    applicant_is("person"),
                    age_below(60),
                    reason="按身份证号计算，申请人未满60周岁，不符合老年人优待证办理条件",
                ),
            ],
            high_frequency=True,
            themes=("retire",),
        ),
    ),
    ItemSpec(
        catalog_code(PAYMENT, 8002),
        "困难残疾人生活补贴和重度残疾人护理补贴",
        PAYMENT,
        DISABILITY_BASIS,
        (COUNTY, TOWN),
        OFFICE,
        content=content(
            "困难残疾人生活补贴和重度残疾人护理补贴申请",
            summary="低保家庭中的残疾人、一级二级重度残疾人等，向户籍所在地街道申请“两项补贴”。",
            basis=DISABILITY_BASIS,
            accept="持有第三代残疾人证；属于最低生活保障家庭中的残疾人（生活补贴）或残疾等级为一级、二级且需长期照护（护理补贴）。",
            legal=20,
            promise=10,
            review_unit="社会事务办公室",
            results=[result("残疾人两项补贴审核确认结果", "document")],
            materials=[
                material("id_card"),
                material("disability_cert"),
                material("low_income_proof", necessity="optional", optional_when="申请生活补贴的，由系统共享核验"),
                deferrable("bank_account"),
            ],
            high_frequency=True,
            themes=("disability", "social"),
        ),
    ),
    ItemSpec(
        catalog_code(PAYMENT, 8003),
        "计划生育家庭特别扶助",
        PAYMENT,
        FAMILY_BASIS,
        (COUNTY, TOWN),
        OFFICE,
        content=content(
            "计划生育家庭特别扶助金申请",
            summary="独生子女伤残或死亡、未再生育或收养子女的夫妻，女方年满49周岁的，申请特别扶助金。",
            basis=FAMILY_BASIS,
            accept="1933年1月1日以后出生；女方年满49周岁；只生育一个子女或合法收养一个子女；现无存活子女或独生子女被依法鉴定为三级以上残疾。",
            legal=30,
            promise=20,
            limit_explain="含村（社区）评议公示时间",
            review_unit="社会事务办公室",
            results=[result("计划生育家庭特别扶助资格确认", "document")],
            materials=[
                material("id_card", name="夫妻双方身份证明"),
                material("household_register"),
                material("marriage_cert"),
                material("death_proof", necessity="optional", optional_when="独生子女死亡的，由系统共享核验"),
                material("disability_cert", necessity="optional", optional_when="独生子女伤残的提供"),
                own("family_statement", "家庭情况说明"),
            ],
            themes=("social", "marriage"),
        ),
    ),
]
