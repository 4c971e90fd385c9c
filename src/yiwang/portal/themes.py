"""Life-event themes (主题服务) shown on the portal home; the catalog issue links items to them."""

from __future__ import annotations

PERSONAL_THEMES = [
    ("birth", "出生", "出生医学证明、户口登记、医保参保"),
    ("school", "入学", "幼儿园、义务教育入学"),
    ("work", "就业创业", "就业登记、失业保险、创业补贴"),
    ("marriage", "婚姻生育", "婚姻登记、生育登记"),
    ("housing", "住房", "公积金、不动产登记"),
    ("social", "社会保障", "社保卡、养老保险、医疗保险"),
    ("retire", "退休养老", "退休审批、高龄津贴"),
    ("disability", "残疾人服务", "残疾人证、补贴"),
    ("identity", "户籍证件", "户口登记、居民身份证、居住证"),
    ("traffic", "交通出行", "驾驶证、机动车登记"),
]
ENTERPRISE_THEMES = [
    ("open", "开办企业", "设立登记、印章刻制、税务登记"),
    ("license", "经营许可", "食品经营、药品经营许可"),
    ("build", "工程建设", "用地、规划、施工许可"),
    ("change", "变更注销", "企业信息变更、简易注销"),
]
