"""身份证号 and 统一社会信用代码 validation (STANDARDS §10 corrections to python-stdnum)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from yiwang.core.errors import DomainError, ErrorCode
from yiwang.core.identifiers import make_id_number, make_uscc, validate_id_number, validate_uscc
from yiwang.core.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    "number",
    [
        "110101199003070011",
        "33010619880808008X",
        "440305200002291232",
        "310115198005150315",  # 浦东新区 created 1992, holder born 1980: stdnum's cn.ric refuses it
        "510107197001010043",  # 武侯区, same problem
    ],
)
def test_real_id_numbers_are_accepted(number: str):
    assert validate_id_number(number) == number


def test_lower_case_x_and_spaces_are_normalised():
    assert validate_id_number(" 33010619880808008x ") == "33010619880808008X"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("11010119900307001", "应为18位"),
        ("110101199003070012", "校验位不正确"),
        ("11010119900230001" + ric.calc_check_digit("11010119900230001" + "0"), "出生日期不存在"),
    ],
)
def test_bad_id_numbers_are_refused_in_chinese(number: str, message: str):
    with pytest.raises(DomainError) as caught:
        validate_id_number(number)
    assert caught.value.code == ErrorCode.ID_NUMBER_INVALID
    assert message in caught.value.message
    assert caught.value.field == "id_number"


def test_future_birth_date_is_refused():
    number = make_id_number("371302", timezone.localdate() + dt.timedelta(days=400), 1)
    with pytest.raises(DomainError, match="出生日期不合理"):
        validate_id_number(number)


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_error_is_caught(birth: dt.date, sequence: int, position: int, delta: int):
    number = make_id_number("371302", birth, sequence)
    assert validate_id_number(number) == number
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(DomainError):
        validate_id_number(wrong)


@pytest.mark.parametrize("code", ["91110000MA01ABCD52", "111000000000123437", "52440300MJ0000018W"])
def test_valid_uscc_is_accepted(code: str):
    assert validate_uscc(code.lower()) == code


def test_uscc_with_a_bad_inner_organisation_code_is_refused():
    # The GB 32100 check character is right, but the GB 11714 inner check digit is not.
    from stdnum.cn import uscc

    body = "91110000MA01ABCD6"  # inner check digit 6 instead of 5
    code = body + uscc.calc_check_digit(body)
    assert uscc.is_valid(code)  # python-stdnum alone accepts it
    with pytest.raises(DomainError) as caught:
        validate_uscc(code)
    assert "组织机构代码校验位" in caught.value.message


def test_uscc_with_a_bad_check_character_is_refused():
    with pytest.raises(DomainError) as caught:
        validate_uscc("91110000MA01ABCD53")
    assert caught.value.code == ErrorCode.USCC_INVALID


def test_made_uscc_is_valid():
    assert validate_uscc(make_uscc("11", "371300", "00423617")) == "11371300004236176Q"


def test_masks():
    assert mask_id_number("371302198506010126") == "3713**********0126"
    assert mask_phone("13805391234") == "138****1234"
    assert mask_name("张三丰") == "张**"
