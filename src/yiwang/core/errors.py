"""One error model for the whole platform (CONVENTIONS rule 7).

Services raise :class:`DomainError` with a stable :class:`ErrorCode`, a Chinese message that says what to
fix, and (where one input is at fault) the field path. The API turns it into ``application/problem+json``;
the pages show the message next to the field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus


class ErrorCode(StrEnum):
    """Stable machine-readable error codes; never renumber or reuse one."""

    VALIDATION = "validation_error"  # 输入不合法
    NOT_FOUND = "not_found"  # 不存在或无权查看
    PERMISSION_DENIED = "permission_denied"  # 无权操作
    NOT_AUTHENTICATED = "not_authenticated"  # 未登录
    CONFLICT = "conflict"  # 与现有数据冲突 (重复、并发修改)
    INVALID_STATE = "invalid_state"  # 当前状态不允许此操作
    PURPOSE_REQUIRED = "purpose_required"  # 查看个人信息须说明用途
    ID_NUMBER_INVALID = "id_number_invalid"  # 身份证号不合法
    USCC_INVALID = "uscc_invalid"  # 统一社会信用代码不合法
    REGION_CODE_INVALID = "region_code_invalid"  # 行政区划代码不合法
    RATE_LIMITED = "rate_limited"  # 请求过于频繁
    CALENDAR_NOT_COVERED = "calendar_not_covered"  # 工作日历未包含该年份 (须录入当年节假日安排通知)


_STATUS = {
    ErrorCode.VALIDATION: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorCode.PERMISSION_DENIED: HTTPStatus.FORBIDDEN,
    ErrorCode.NOT_AUTHENTICATED: HTTPStatus.UNAUTHORIZED,
    ErrorCode.CONFLICT: HTTPStatus.CONFLICT,
    ErrorCode.INVALID_STATE: HTTPStatus.CONFLICT,
    ErrorCode.PURPOSE_REQUIRED: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.ID_NUMBER_INVALID: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.USCC_INVALID: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.REGION_CODE_INVALID: HTTPStatus.UNPROCESSABLE_ENTITY,
    ErrorCode.RATE_LIMITED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.CALENDAR_NOT_COVERED: HTTPStatus.CONFLICT,
}

_TITLE = {
    ErrorCode.VALIDATION: "输入不合法",
    ErrorCode.NOT_FOUND: "未找到",
    ErrorCode.PERMISSION_DENIED: "无权操作",
    ErrorCode.NOT_AUTHENTICATED: "请先登录",
    ErrorCode.CONFLICT: "数据冲突",
    ErrorCode.INVALID_STATE: "当前状态不允许此操作",
    ErrorCode.PURPOSE_REQUIRED: "请说明查看用途",
    ErrorCode.ID_NUMBER_INVALID: "身份证号不合法",
    ErrorCode.USCC_INVALID: "统一社会信用代码不合法",
    ErrorCode.REGION_CODE_INVALID: "行政区划代码不合法",
    ErrorCode.RATE_LIMITED: "请求过于频繁",
    ErrorCode.CALENDAR_NOT_COVERED: "工作日历未覆盖该日期",
}


@dataclass
class FieldError:
    """One problem with one input field; ``field`` is a dotted path such as ``body.id_number``."""

    field: str
    message: str
    code: str = ErrorCode.VALIDATION.value


@dataclass
class DomainError(Exception):
    """A rule of the domain refused the action. Nothing was written when this is raised."""

    code: ErrorCode
    message: str
    field: str | None = None
    errors: list[FieldError] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if self.field and not self.errors:
            self.errors = [FieldError(field=self.field, message=self.message, code=self.code.value)]

    @property
    def status(self) -> int:
        return int(_STATUS[self.code])

    @property
    def title(self) -> str:
        return _TITLE[self.code]


def not_found(what: str = "记录") -> DomainError:
    """The same answer for "does not exist" and "exists but not yours", so nothing leaks."""
    return DomainError(ErrorCode.NOT_FOUND, f"{what}不存在或您无权查看")


def permission_denied(message: str = "您没有执行此操作的权限") -> DomainError:
    return DomainError(ErrorCode.PERMISSION_DENIED, message)


def status_title(code: ErrorCode) -> tuple[int, str]:
    return int(_STATUS[code]), _TITLE[code]
