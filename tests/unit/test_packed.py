"""Packed columns: exact round trips, older plain-zlib values, dictionaries that never change."""

import hashlib
import json
import zlib

import pytest

from app.models import packed

# Rows are compressed against these files byte for byte: a changed file would make every
# stored value unreadable. A new dictionary is a new version (a new file), never an edit.
FROZEN = {
    ("answers", 1): "45c01e3d525155296748be71fb8dcf92ddb6079c19b51127f3a09573d38775ec",
    ("audit", 1): "9d120017cde5d0788b658b88e8f6cbb7c553109db3c38f7b98c1c5bd9513cd1f",
    ("mail", 1): "11bb73b7d0d834fe9b6cb9f05d2868372cae7d570462743997d7000d5f0bee03",
}


@pytest.mark.parametrize(("kind", "version"), sorted(FROZEN))
def test_dictionaries_in_use_are_unchanged(kind, version):
    digest = hashlib.sha256(packed.dictionary(kind, version)).hexdigest()
    assert digest == FROZEN[(kind, version)]


@pytest.mark.parametrize(
    "value",
    [
        {},
        {
            "entry_office": {
                "company_name": "ナックス株式会社",
                "prefecture": "神奈川県",
                "city": "",
            }
        },
        {"rows": [{"code_no": 1, "industries": ["通関業"], "ok": True, "none": None}]},
        ["本文\n二行目 <b>&amp;</b>", None],
        {"text": "\u202e\x00 control and bidi kept as they are"},
    ],
)
@pytest.mark.parametrize("kind", ["answers", "audit", "mail"])
def test_round_trip_is_exact(kind, value):
    data = packed.pack_json(kind, value)
    assert data[0] == packed.CURRENT[kind]
    assert packed.unpack_json(kind, data) == value


def test_a_form_answer_takes_far_less_than_its_json():
    answers = {
        "entry_billing": {
            "bulk": "no",
            "address_mode": "same",
            "postal_code": "",
            "prefecture": None,
            "contact_name": "請求 花子",
            "payment": "transfer",
            "bank": "",
        }
    }
    data = packed.pack_json("answers", answers)
    assert len(data) * 2 < len(packed.dumps(answers).encode("utf-8"))


def test_values_written_as_plain_zlib_are_read():
    pair = json.dumps(["本文", "<p>本文</p>"], ensure_ascii=False).encode("utf-8")
    assert packed.unpack_json("mail", zlib.compress(pair, 6)) == ["本文", "<p>本文</p>"]
