"""Code lists of the catalog (STANDARDS §1.3). Values marked [U] there are platform code lists, not national."""

from django.db import models


class TaskType(models.TextChoices):
    """事项类型代码 (GB/T 39046 A.1) [V]."""

    LICENSING = "01", "行政许可"
    PENALTY = "02", "行政处罚"
    COERCION = "03", "行政强制"
    LEVY = "04", "行政征收"
    PAYMENT = "05", "行政给付"
    INSPECTION = "06", "行政检查"
    CONFIRMATION = "07", "行政确认"
    REWARD = "08", "行政奖励"
    ADJUDICATION = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    PUBLIC_SERVICE = "20", "公共服务"


class ItemLevel(models.IntegerChoices):
    """行使层级代码 (GB/T 39046 A.2) [V]."""

    NATIONAL = 1, "国家级"
    PROVINCE = 2, "省级"
    CITY = 3, "市级"
    COUNTY = 4, "县级"
    TOWN = 5, "镇(乡、街道)级"
    VILLAGE = 6, "村(社区)级"
    GRADED = 7, "分级管理"


class ImplementerNature(models.TextChoices):
    """实施主体性质 (GB/T 39046 A.3) [V]."""

    STATUTORY = "1", "法定机关"
    AUTHORISED = "2", "授权组织"
    ENTRUSTED = "3", "受委托组织"
    OTHER = "9", "其他"


class PowerSource(models.TextChoices):
    """权力来源 [I]."""

    STATUTORY = "1", "法定本级行使"
    DELEGATED_DOWN = "2", "上级下放"
    AUTHORISED_BY_SUPERIOR = "3", "上级授权"
    AUTHORISED_BY_PEER = "4", "同级授权"
    ENTRUSTED_BY_SUPERIOR = "5", "上级委托"
    ENTRUSTED_BY_PEER = "6", "同级委托"


class ServiceObject(models.TextChoices):
    """服务对象 — the platform/好差评 list [I] (STANDARDS §1.3 explains the conflict with A.4)."""

    NATURAL_PERSON = "1", "自然人"
    ENTERPRISE = "2", "企业法人"
    PUBLIC_INSTITUTION = "3", "事业法人"
    SOCIAL_ORGANISATION = "4", "社会组织法人"
    UNINCORPORATED = "5", "非法人企业"
    GOVERNMENT = "6", "行政机关"
    OTHER = "9", "其他组织"


class CaseKind(models.TextChoices):
    """办件类型 (GB/T 39046 A.6) [V]."""

    INSTANT = "1", "即办件"
    PROMISED = "2", "承诺件"
    OTHER = "9", "其他"


class HandleForm(models.TextChoices):
    """办理形式 (GB/T 39046 A.5) [V]."""

    WINDOW = "1", "窗口办理"
    ONLINE_PC = "2", "电脑端网上办理"
    ONLINE_MOBILE = "3", "移动端网上申请"
    POST = "4", "快递申请"
    OTHER = "9", "其他"


class CrossScope(models.TextChoices):
    """通办范围 [I]; ``0`` 不通办 is a platform value."""

    NONE = "0", "不通办"
    NATION = "1", "全国"
    PROVINCE = "2", "全省"
    CITY = "3", "全市"
    COUNTY = "4", "全县"
    TOWN = "5", "全镇(乡、街道)"
    VILLAGES = "6", "跨村(社区)"


class OnlineDepth(models.IntegerChoices):
    """网上办理深度 — platform list [U]: the national code values were not found."""

    INFORMATION = 1, "网上咨询（信息公开）"
    PRE_REVIEW = 2, "网上预审（表格下载、在线预约）"
    ONLINE_ACCEPTANCE = 3, "网上受理（到现场一次）"
    FULLY_ONLINE = 4, "全程网办"


class TimeUnit(models.TextChoices):
    """时限单位 — platform list [U]; working days by default (行政许可法 Art. 82)."""

    WORKDAY = "workday", "工作日"
    NATURAL_DAY = "natural_day", "自然日"
    HOUR = "hour", "小时"


class Necessity(models.TextChoices):
    """材料必要性 [I, local values]."""

    REQUIRED = "required", "必要"
    OPTIONAL = "optional", "非必要"
    DEFERRABLE = "deferrable", "容缺后补"


class MaterialSource(models.TextChoices):
    """来源渠道 [I, local values]."""

    APPLICANT = "applicant", "申请人自备"
    GOVERNMENT = "government", "政府部门核发"
    OTHER = "other", "其他"


class MaterialForm(models.TextChoices):
    """材料形式 [I, local values]."""

    PAPER = "paper", "纸质"
    ELECTRONIC = "electronic", "电子化"
    BOTH = "both", "纸质+电子化"


class MaterialType(models.TextChoices):
    """材料类型 [I, local values]."""

    ORIGINAL = "original", "原件"
    COPY = "copy", "复印件"
    BOTH = "both", "原件和复印件"
    EITHER = "either", "原件或复印件"


class ResultType(models.TextChoices):
    """审批结果类型 — platform list [U]."""

    LICENCE = "licence", "证照"
    DOCUMENT = "document", "批文"
    RECORD = "record", "备案/登记结果"
    OTHER = "other", "其他"


class SpecialProcedureType(models.TextChoices):
    """特别程序种类代码 (GB/T 39046 A.7) [V]."""

    EXTENSION = "1", "延长审批"
    OTHER = "2", "除延长审批之外的情况"


class FormFieldType(models.TextChoices):
    """Typed fields of the application form (申请表)."""

    TEXT = "text", "文本"
    NUMBER = "number", "数字"
    DATE = "date", "日期"
    SELECT = "select", "选择"
    ID_NUMBER = "id_number", "身份证号"
    USCC = "uscc", "统一社会信用代码"
    REGION = "region", "行政区划"
    PHONE = "phone", "手机号"
    ADDRESS = "address", "地址"
    FILE = "file", "文件"
    GROUP = "group", "可重复的字段组"


class ItemState(models.TextChoices):
    """State of a 实施清单 item as a whole."""

    DRAFT = "draft", "草稿（未发布）"  # never published yet
    PUBLISHED = "published", "已发布"  # a version is in effect
    CANCELLED = "cancelled", "已取消"  # 事项取消: no version in effect, history kept


class ChangeRequestState(models.TextChoices):
    """State of a 变更申请."""

    SUBMITTED = "submitted", "待审核"  # waiting for the platform admin
    APPROVED = "approved", "已通过"  # published as a new version (or cancelled the item)
    RETURNED = "returned", "已退回"  # sent back with comments; the draft stays editable
    WITHDRAWN = "withdrawn", "已撤回"  # taken back by the department


class ChangeKind(models.TextChoices):
    """What a change request asks for."""

    PUBLISH = "publish", "发布（新增或变更）"
    CANCEL = "cancel", "取消事项"


class Theme(models.TextChoices):
    """Life-event themes (主题服务) used to browse guides; 个人 and 法人 groups."""

    BIRTH = "birth", "出生"
    SCHOOL = "school", "入学"
    WORK = "work", "就业创业"
    MARRIAGE = "marriage", "婚姻生育"
    HOUSING = "housing", "住房"
    SOCIAL = "social", "社会保障"
    RETIRE = "retire", "退休养老"
    DISABILITY = "disability", "残疾人服务"
    TRAFFIC = "traffic", "交通出行"
    IDENTITY = "identity", "户籍证件"
    OPEN = "open", "开办企业"
    LICENSE = "license", "经营许可"
    BUILD = "build", "工程建设"
    CHANGE = "change", "变更注销"
