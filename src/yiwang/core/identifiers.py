"""Validation of national identifiers: 身份证号 (GB 11643) and 统一社会信用代码 (GB 32100).

python-stdnum is used for the check characters, with two corrections measured on this machine
(STANDARDS §10): ``cn.ric`` wrongly rejects real ID numbers whose district code was created after the
holder's birth year, so the place lookup is advisory only; ``cn.uscc`` does not check the inner
organisation code (GB 11714), which is added here.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from yiwang.core.errors import DomainError, ErrorCode

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def normalize_id_number(value: str) -> str:
    return value.strip().replace(" ", "").upper()


def validate_id_number(value: str, *, field: str = "id_number") -> str:
    """Return the normalised 18-character 居民身份证号码 or raise with a message saying what is wrong."""
    number = normalize_id_number(value)
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise DomainError(ErrorCode.ID_NUMBER_INVALID, "身份证号应为18位：17位数字加1位数字或X", field=field)
    if ric.calc_check_digit(number) != number[17]:
        raise DomainError(ErrorCode.ID_NUMBER_INVALID, "身份证号校验位不正确，请核对后重新输入", field=field)
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise DomainError(ErrorCode.ID_NUMBER_INVALID, "身份证号中的出生日期不存在", field=field) from exc
    if birth > timezone.localdate() or birth.year < 1880:
        raise DomainError(ErrorCode.ID_NUMBER_INVALID, "身份证号中的出生日期不合理", field=field)
    return number


def id_number_birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def _org_code_check(body: str) -> str:
    total = sum(_ALNUM.index(ch) * weight for ch, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_uscc(value: str, *, field: str = "uscc") -> str:
    """Return the normalised 统一社会信用代码 or raise; checks GB 32100 and the inner GB 11714 code."""
    code = value.strip().upper()
    try:
        code = uscc.validate(code)
    except stdnum_errors.ValidationError as exc:
        raise DomainError(
            ErrorCode.USCC_INVALID, "统一社会信用代码应为18位，且校验码正确，请核对后重新输入", field=field
        ) from exc
    org = code[8:17]
    if any(ch not in _ALNUM for ch in org) or _org_code_check(org[:8]) != org[8]:
        raise DomainError(ErrorCode.USCC_INVALID, "统一社会信用代码中的组织机构代码校验位不正确", field=field)
    return code


def make_uscc(prefix: str, region: str, org_body: str) -> str:
    """Build a well-formed USCC (demo data and tests): 2-char prefix, 6-digit region, 8-char org body."""
    org = org_body + _org_code_check(org_body)
    partial = prefix + region + org
    return partial + uscc.calc_check_digit(partial)


def make_id_number(region: str, birth: dt.date, sequence: int) -> str:
    """Build a well-formed ID number (demo data and tests only; every such person is fictional)."""
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # calc_check_digit ignores the last character
