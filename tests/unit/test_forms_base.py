"""Unit tests of forms.base: filters, validators, task-data conversion and the registry."""

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from forms import FORMS, TaskForm, form_for
from forms.base import ascii_filter, digits_filter, katakana_filter
from forms.confirmation import SystemSetupForm
from forms.entry import EntryBillingForm, EntryContractorForm, EntryUserCodesForm
from forms.signup import SignupContactForm
from forms.validators import text_filter

EXPECTED_KEYS = {
    "signup_contact": "SignupContactForm",
    "signup_confirm": "SignupConfirmForm",
    "entry_guidance": "EntryGuidanceForm",
    "entry_contact": "EntryContactForm",
    "entry_start_date": "EntryStartDateForm",
    "entry_office": "EntryOfficeForm",
    "entry_contractor": "EntryContractorForm",
    "entry_manager": "EntryManagerForm",
    "entry_user_codes": "EntryUserCodesForm",
    "entry_equipment": "EntryEquipmentForm",
    "entry_plan": "EntryPlanForm",
    "entry_billing": "EntryBillingForm",
    "entry_confirm": "EntryConfirmForm",
    "review_decision": "ReviewDecisionForm",
    "issuance_confirm": "IssuanceConfirmForm",
    "system_setup": "SystemSetupForm",
    "setup_work": "SetupWorkForm",
}


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False, SECRET_KEY="test-secret")
    return app


def test_registry_maps_every_key_to_its_class() -> None:
    assert {key: cls.__name__ for key, cls in FORMS.items()} == EXPECTED_KEYS
    for key, cls in FORMS.items():
        assert issubclass(cls, TaskForm)
        assert cls.key == key
        assert isinstance(cls.title, str) and cls.title
        assert cls.template is None
        assert form_for(key) is cls
    assert form_for("no_such_form") is None


def test_filters_normalise_width_hyphens_and_kana() -> None:
    assert digits_filter("０３－１２３４ー５６７８") == "0312345678"
    assert digits_filter(None) == ""
    assert ascii_filter("　ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ ") == "taro@example.jp"
    assert katakana_filter("やまだ ﾀﾛｳ") == "ヤマダ\u3000タロウ"
    assert text_filter("ﾅｯｸｽ　ＡＢＣ１丁目\r\n") == "ナックス　ABC1丁目"


def test_filters_leave_machine_dependent_chars_for_the_validators() -> None:
    assert digits_filter("03-①234-5678") == "03-①234-5678"
    assert ascii_filter("Ⅱ") == "Ⅱ"


def test_to_formdata_flattens_nested_lists_and_dicts() -> None:
    formdata = TaskForm.to_formdata(
        {
            "plan": "A",
            "agree": True,
            "skip": False,
            "none": None,
            "emails": ["a@example.jp", "b@example.jp"],
            "rows": [{"code_no": 1, "industries": ["通関業", "混載業"], "flag": True}],
        }
    )
    assert formdata.getlist("plan") == ["A"]
    assert formdata.getlist("agree") == ["y"]
    assert "skip" not in formdata and "none" not in formdata
    assert formdata.getlist("emails") == ["a@example.jp", "b@example.jp"]
    assert formdata.getlist("rows-0-code_no") == ["1"]
    assert formdata.getlist("rows-0-industries") == ["通関業", "混載業"]
    assert formdata.getlist("rows-0-flag") == ["y"]


def test_raw_input_keeps_invalid_input_and_multidict_restores_it(app: Flask) -> None:
    posted = {
        "company_name": "NACCS①商事",
        "phone": "03-1234",
        "email": "not-an-address",
        "rows-0-industries": ["通関業", "CY"],
    }
    with app.test_request_context(method="POST", data=posted):
        form = SignupContactForm()
        assert not form.validate()
        raw = form.raw_input()
        assert raw["company_name"] == ["NACCS①商事"]
        assert raw["phone"] == ["03-1234"]
        assert raw["email"] == ["not-an-address"]
        again = SignupContactForm(formdata=MultiDict(raw))
        assert again.raw_input() == raw
    with app.test_request_context(method="POST", data=posted):
        codes = EntryUserCodesForm()
        raw = codes.raw_input()
        assert raw["rows-0-industries"] == ["通関業", "CY"]
        assert EntryUserCodesForm(formdata=MultiDict(raw)).raw_input() == raw


def test_raw_input_without_formdata_comes_from_data(app: Flask) -> None:
    with app.test_request_context():
        form = SystemSetupForm(formdata=None, data={"change_all_offices": True})
        raw = form.raw_input()
    assert raw["change_all_offices"] == ["y"]
    assert raw["office_name_en"] == [""]


def test_required_messages_by_field_kind(app: Flask) -> None:
    with app.test_request_context(method="POST", data={}):
        billing = EntryBillingForm()
        billing.validate()
        contractor = EntryContractorForm()
        contractor.validate()
    assert billing.errors["bulk"] == ["一括請求を選択してください。"]
    assert billing.errors["contact_name"] == ["氏名を入力してください。"]
    # form.errors is keyed by attribute name (WTForms); the HTML name is "title".
    assert contractor.errors["job_title"] == ["役職を入力してください。"]


def test_title_field_is_named_title_but_screen_title_stays(app: Flask) -> None:
    assert EntryContractorForm.title == "契約者に関する情報"
    with app.test_request_context(method="POST", data={"title": "代表取締役社長"}):
        form = EntryContractorForm()
        assert form.job_title.name == "title"
        assert form.job_title.data == "代表取締役社長"
        assert form.to_task_data()["title"] == "代表取締役社長"
        assert "job_title" not in form.to_task_data()
        assert form.title == "契約者に関する情報"
    with app.test_request_context():
        prefilled = EntryContractorForm(formdata=None, data={"title": "専務"})
        assert prefilled.job_title.data == "専務"


def test_context_can_be_given_to_the_constructor(app: Flask) -> None:
    dates = [("2025-04-14", "2025年4月14日（月）")]
    with app.test_request_context(method="POST", data={"wished_start_date": "2025-04-14"}):
        form = FORMS["entry_start_date"](context={"open_start_dates": dates})
        assert form.context["open_start_dates"] == dates
        assert form.validate()
        plain = FORMS["entry_plan"]()
        assert plain.context == {}


def test_csrf_token_is_not_task_data(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context(method="POST", data={"plan": "A"}):
        form = FORMS["entry_plan"]()
        assert "csrf_token" in form._fields
        assert form.to_task_data() == {"plan": "A"}
        assert "csrf_token" not in form.raw_input()


def test_form_errors_are_not_duplicated_by_validating_twice(app: Flask) -> None:
    row = {
        "system_kind": "海上",
        "sso": "要",
        "paid_statistics": "否",
        "free_statistics": "否",
        "bonded_storage": "否",
        "identifier_count": "1",
    }
    posted = MultiDict()
    for index, industry in enumerate(["通関業", "船会社"]):
        for name, value in row.items():
            posted.add(f"rows-{index}-{name}", value)
        posted.add(f"rows-{index}-code_no", "1")
        posted.add(f"rows-{index}-industries", industry)
    with app.test_request_context(method="POST", data=posted):
        form = EntryUserCodesForm()
        assert not form.validate()
        first = list(form.form_errors)
        assert not form.validate()
        assert form.form_errors == first
        assert form.errors[""] == first


def test_csrf_token_is_signed_when_drawn_not_when_a_post_builds_the_form():
    from flask import g
    from flask_wtf.csrf import validate_csrf

    from forms.entry import EntryOfficeForm

    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="test-secret")
    with app.test_request_context("/t", method="POST", data={"csrf_token": "stale"}):
        form = EntryOfficeForm()
        assert "csrf_token" not in g  # building the posted form signed nothing
        assert form.csrf_token.data == "stale"  # what was posted, for the check
        html = str(form.csrf_token)  # a redrawn page carries a fresh, valid token
        token = form.csrf_token.current_token
        assert f'value="{token}"' in html and token != "stale"
        validate_csrf(token)
        assert form.csrf_token.current_token == token  # one signature per request
