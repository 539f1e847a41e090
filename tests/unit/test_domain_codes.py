"""Unit tests of app.domain.codes: reference numbers, login IDs, passwords and NACCS codes."""

import itertools

import pytest

from app.domain.codes import (
    PASSWORD_ALPHABET,
    branch_code,
    company_abbrev,
    generate_password,
    identifier,
    is_valid_office_code,
    is_valid_reference_number,
    office_code,
    provisional_login_id,
    reference_number,
    user_code,
    user_id,
)


def test_manual_reference_number_is_valid() -> None:
    assert reference_number(2018, 55) == "1800055A"
    assert is_valid_reference_number("1800055A")
    assert not is_valid_reference_number("1800055B")


@pytest.mark.parametrize(
    "text",
    ["", "1800055", "1800055a", "180055A", "18000055A", "A800055A", "１８０００５５Ａ", None],
)
def test_malformed_reference_numbers_are_invalid(text: str) -> None:
    assert not is_valid_reference_number(text)


def test_reference_number_shape_and_round_trip() -> None:
    for year, serial in [(2026, 0), (2026, 1), (2099, 99999), (2030, 12345)]:
        number = reference_number(year, serial)
        assert len(number) == 8
        assert number[:2] == f"{year % 100:02d}"
        assert number[2:7] == f"{serial:05d}"
        assert number[7].isupper()
        assert is_valid_reference_number(number)
    with pytest.raises(ValueError):
        reference_number(2026, 100000)


@pytest.mark.parametrize("serial", [55, 1, 31415, 99999, 70707])
def test_check_letter_detects_single_digit_changes(serial: int) -> None:
    number = reference_number(2018, serial)
    for position in range(7):
        for digit in "0123456789":
            if digit != number[position]:
                changed = number[:position] + digit + number[position + 1 :]
                assert not is_valid_reference_number(changed), changed


@pytest.mark.parametrize("serial", [55, 12345, 98760, 40213])
def test_check_letter_detects_transpositions(serial: int) -> None:
    number = reference_number(2026, serial)
    for i, j in itertools.combinations(range(7), 2):
        if number[i] != number[j]:
            swapped = list(number)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            assert not is_valid_reference_number("".join(swapped))


def test_provisional_login_id() -> None:
    assert provisional_login_id(1) == "0000001"
    assert provisional_login_id(1234567) == "1234567"
    with pytest.raises(ValueError):
        provisional_login_id(10_000_000)


def test_generate_password() -> None:
    assert set(PASSWORD_ALPHABET).isdisjoint("0O1IL")
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) > 190
    for password in passwords:
        assert len(password) == 8
        assert set(password) <= set(PASSWORD_ALPHABET)
        assert any(c.isdigit() for c in password) and any(c.isalpha() for c in password)
    assert len(generate_password(12)) == 12


def test_office_code_and_company_abbrev() -> None:
    assert office_code("NAC", 555) == "NAC555"
    assert office_code("NAC", 1) == "NAC001"
    assert company_abbrev("NAC555") == "NAC"
    assert is_valid_office_code("NAC001")
    assert not is_valid_office_code("NAC01")
    assert not is_valid_office_code("nac001")
    with pytest.raises(ValueError):
        office_code("NA", 1)
    with pytest.raises(ValueError):
        office_code("NAC", 1000)


def test_branch_and_user_codes() -> None:
    assert [branch_code(n) for n in (0, 1, 25, 26, 233)] == ["1A", "1B", "1Z", "2A", "9Z"]
    assert len({branch_code(n) for n in range(234)}) == 234
    with pytest.raises(ValueError):
        branch_code(234)
    assert user_code("1A", "NAC") == "1ANAC"
    assert user_code(branch_code(1), "NAC") == "1BNAC"


def test_identifiers_are_unique_and_stable() -> None:
    assert [identifier(n) for n in (0, 1, 25, 26, 259, 260)] == [
        "A0A", "A0B", "A0Z", "A1A", "A9Z", "B0A",
    ]  # fmt: skip
    ids = [identifier(n) for n in range(6760)]
    assert len(set(ids)) == 6760
    assert all(len(i) == 3 and i.isalnum() and i.isupper() for i in ids)
    with pytest.raises(ValueError):
        identifier(6760)


def test_user_id() -> None:
    assert user_id("1ANAC", "A0A") == "1ANACA0A"
    assert len(user_id(user_code("1B", "NAC"), identifier(27))) == 8
    with pytest.raises(ValueError):
        user_id("1ANA", "A0A")
    with pytest.raises(ValueError):
        user_id("1ANAC", "A0")


def test_free_user_codes_fill_gaps_in_branch_order() -> None:
    from app.domain.codes import BRANCH_CODES_PER_COMPANY, free_user_code_count, free_user_codes

    taken = {"1ANAC", "1CNAC", "1AXYZ"}  # another company's code does not count
    assert free_user_codes("NAC", taken, 3) == ["1BNAC", "1DNAC", "1ENAC"]
    assert free_user_code_count("NAC", taken) == BRANCH_CODES_PER_COMPANY - 2 == 232
    every = {user_code(branch_code(n), "NAC") for n in range(234)}
    assert free_user_code_count("NAC", every) == 0
    assert free_user_codes("NAC", every - {"9ZNAC"}, 1) == ["9ZNAC"]
    with pytest.raises(ValueError):
        free_user_codes("NAC", every - {"9ZNAC"}, 2)
