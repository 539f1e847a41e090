"""The pre-deploy validator: one test per fault an analyst can make, on the real diagrams."""

from pathlib import Path

import pytest

from app.engine.validation import Problem, errors
from app.services.validation import merge, validate_files

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"
MAIN = "naccs_application"


def repository() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(BPMN_DIR.glob("*.bpmn"))}


def edited(name: str, old: str, new: str, files: dict | None = None) -> dict[str, str]:
    """The repository bundle with one edit, as an analyst would make it in the modeler."""
    files = dict(files or repository())
    assert old in files[name], f"{old!r} not in {name}"
    files[name] = files[name].replace(old, new, 1)
    return files


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def problem(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert found, f"no {code!r} problem in {[str(p) for p in problems]}"
    return found[0]


def test_repository_diagrams_are_deployable():
    assert validate_files(repository(), MAIN) == []


def test_xml_that_is_not_well_formed_is_refused_with_its_line():
    files = edited(
        "review.bpmn", '<bpmn:endEvent id="end" name="審査終了">', '<bpmn:endEvent id="end"'
    )
    found = problem(validate_files(files, MAIN), "xml")
    assert found.file == "review.bpmn"
    opening = line_of(files["review.bpmn"], '<bpmn:endEvent id="end"')
    assert found.line in (opening, opening + 1)  # where the parser noticed it
    assert "XML の書式が正しくありません" in found.message


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file://'
        + str(secret)
        + '">]>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
        "&x;</bpmn:definitions>"
    )
    problems = validate_files({**repository(), "evil.bpmn": xxe}, MAIN)
    found = problem(problems, "xml")
    assert found.file == "evil.bpmn" and found.line == 2
    assert "DOCTYPE" in found.message
    assert all("TOP-SECRET" not in p.message for p in problems)


def test_oversized_upload_is_refused():
    huge = repository()["review.bpmn"].replace("審査開始", "審" * (5 * 1024 * 1024))
    found = problem(validate_files({**repository(), "review.bpmn": huge}, MAIN), "xml")
    assert "大きすぎます" in found.message


def test_a_file_that_is_not_bpmn_is_refused():
    dmn = '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d"/>'
    found = problem(validate_files({**repository(), "decision.bpmn": dmn}, MAIN), "not_bpmn")
    assert found.file == "decision.bpmn"
    assert "BPMN 2.0 のファイルではありません" in found.message


def test_schema_violation_names_the_element_and_line():
    files = edited(
        "review.bpmn",
        '<bpmn:endEvent id="end" name="審査終了">\n      <bpmn:incoming>flow_review_returned_end</bpmn:incoming>\n    </bpmn:endEvent>',
        '<bpmn:endEvnt id="end" name="審査終了">\n      <bpmn:incoming>flow_review_returned_end</bpmn:incoming>\n    </bpmn:endEvnt>',
    )
    found = problem(validate_files(files, MAIN), "schema")
    assert found.file == "review.bpmn"
    assert found.line == line_of(files["review.bpmn"], "<bpmn:endEvnt")
    assert found.element_id == "end"
    assert "bpmn:endEvnt" in found.message and "置けません" in found.message


def test_duplicate_ids_in_one_file_are_reported():
    files = edited("review.bpmn", '<bpmn:endEvent id="end"', '<bpmn:endEvent id="start"')
    found = problem(validate_files(files, MAIN), "schema")
    assert "id 'start' が同じファイルの中で重複しています" in found.message


UNSUPPORTED_EDITS = {
    "send task": (
        "setup_work.bpmn",
        [
            ("<bpmn:serviceTask id", "<bpmn:sendTask id"),
            ("</bpmn:serviceTask>", "</bpmn:sendTask>"),
        ],
        "send_work_done_mail",
        "送信タスク（メッセージ）には対応していません",
    ),
    "plain task": (
        "review.bpmn",
        [("<bpmn:userTask id", "<bpmn:task id"), ("</bpmn:userTask>", "</bpmn:task>")],
        "review_application",
        "種類のないタスクは実行できません",
    ),
    "message event": (
        "application.bpmn",
        [
            (
                '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT24H</bpmn:timeDuration>',
                "",
            ),
            (
                '<bpmn:timerEventDefinition id="TimerEventDefinition_signup_abandoned">',
                '<bpmn:messageEventDefinition id="M1">',
            ),
            ("</bpmn:timerEventDefinition>", "</bpmn:messageEventDefinition>"),
        ],
        "signup_abandoned",
        "メッセージイベントには対応していません",
    ),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED_EDITS))
def test_elements_the_engine_does_not_support_are_named(case):
    name, edits, element, words = UNSUPPORTED_EDITS[case]
    files = repository()
    for old, new in edits:
        files = edited(name, old, new, files)
    found = [p for p in validate_files(files, MAIN) if p.code == "unsupported"]
    assert [p.element_id for p in found] == [element]
    assert found[0].file == name and words in found[0].message
    assert found[0].line == line_of(files[name], f'id="{element}"')


def test_user_task_without_form_key():
    files = edited("review.bpmn", ' camunda:formKey="review_decision"', "")
    found = problem(validate_files(files, MAIN), "form_key")
    assert (found.file, found.element_id) == ("review.bpmn", "review_application")
    assert found.line == line_of(files["review.bpmn"], '<bpmn:userTask id="review_application"')
    assert "フォームキー（camunda:formKey）がありません" in found.message


def test_form_key_without_a_form():
    files = edited(
        "detail_entry.bpmn", 'camunda:formKey="entry_plan"', 'camunda:formKey="entry_pricing"'
    )
    found = problem(validate_files(files, MAIN), "form")
    assert found.element_id == "entry_plan"
    assert "フォームキー 'entry_pricing' に対応するフォームが forms/ にありません" in found.message


def test_camunda_style_form_key_gets_a_hint():
    files = edited(
        "review.bpmn",
        'camunda:formKey="review_decision"',
        'camunda:formKey="embedded:app:forms/review.html"',
    )
    assert "embedded:" in problem(validate_files(files, MAIN), "form").message


def test_lane_that_maps_to_no_role():
    files = edited(
        "review.bpmn",
        '<bpmn:lane id="Lane_reviewer" name="reviewer">',
        '<bpmn:lane id="Lane_reviewer" name="審査担当者">',
    )
    problems = validate_files(files, MAIN)
    found = problem(problems, "lane")
    assert (found.file, found.element_id) == ("review.bpmn", "Lane_reviewer")
    assert "レーン「審査担当者」に対応する役割がありません" in found.message
    assert "reviewer（審査担当）" in found.message


def test_user_task_in_the_system_lane_is_refused():
    files = edited(
        "signup.bpmn",
        '<bpmn:flowNodeRef>signup_confirm</bpmn:flowNodeRef>\n      </bpmn:lane>\n      <bpmn:lane id="Lane_system" name="system">',
        '</bpmn:lane>\n      <bpmn:lane id="Lane_system" name="system">\n        <bpmn:flowNodeRef>signup_confirm</bpmn:flowNodeRef>',
    )
    found = problem(validate_files(files, MAIN), "lane")
    assert found.element_id == "signup_confirm" and "誰も完了できません" in found.message


@pytest.mark.parametrize(
    ("new", "words"),
    [
        ("48時間", "式として解釈できません"),
        ("PT48X", "ISO 8601 の日時・期間・繰り返しとして正しくありません"),
        ("P2W3D", "正しくありません"),
        ("2027-04-01T00:00:00+09:00", "期間（Duration）に"),
        ("0 0 9 * * ?", "cron 式"),
        ("", "定義が空です"),
    ],
)
def test_timer_whose_definition_does_not_parse(new, words):
    files = edited("application.bpmn", ">PT48H<", f">{new}<")
    found = problem(validate_files(files, MAIN), "timer")
    assert (found.file, found.element_id) == ("application.bpmn", "provisional_expiry")
    assert found.line == line_of(
        files["application.bpmn"], '<bpmn:boundaryEvent id="provisional_expiry"'
    )
    assert words in found.message


def test_literal_timers_as_camunda_modeler_writes_them_are_accepted():
    for literal in ("PT72H", "P3D", "R3/PT1H"):
        files = edited("application.bpmn", ">PT48H<", f">{literal}<")
        if literal.startswith("R"):
            files = edited(
                "application.bpmn",
                '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">R3/PT1H</bpmn:timeDuration>',
                '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R3/PT1H</bpmn:timeCycle>',
                files,
            )
        assert errors(validate_files(files, MAIN)) == [], literal


@pytest.mark.parametrize(
    ("new", "words"),
    [
        ('review_decision = "approve"', "式として解釈できません"),
        ("${review_decision eq 'approve'}", "「eq」は「==」"),
        ("#{review_decision == 'approve'}", "#{...} 形式には対応していません"),
        ("__import__('os').system('x')", "式として解釈できません"),
        ("review_decision == true", "True・False・None"),
    ],
)
def test_gateway_condition_that_is_not_a_valid_expression(new, words):
    files = edited("application.bpmn", 'review_decision == "approve"', new.replace('"', "&quot;"))
    found = problem(validate_files(files, MAIN), "condition")
    assert (found.file, found.element_id) == ("application.bpmn", "flow_approve")
    assert "分岐「承認」の条件" in found.message and words in found.message


def test_gateway_without_default_flow_where_no_condition_may_match():
    files = edited("application.bpmn", ' default="flow_review_again"', "")
    files = edited(
        "application.bpmn",
        '<bpmn:sequenceFlow id="flow_review_again" name="再審査" sourceRef="review_outcome" targetRef="review_merge" />',
        '<bpmn:sequenceFlow id="flow_review_again" name="再審査" sourceRef="review_outcome" targetRef="review_merge">'
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">review_decision == "hold"'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>",
        files,
    )
    found = problem(validate_files(files, MAIN), "no_default")
    assert (found.file, found.element_id) == ("application.bpmn", "review_outcome")
    assert "既定フローがなく" in found.message and "review_decision が未設定" in found.message


def test_gateway_whose_conditions_cover_every_case_needs_no_default():
    files = edited("detail_entry.bpmn", ' default="flow_entry_mode_entry_guidance"', "")
    files = edited(
        "detail_entry.bpmn",
        '<bpmn:sequenceFlow id="flow_entry_mode_entry_guidance" name="新規入力" sourceRef="entry_mode" targetRef="entry_guidance" />',
        '<bpmn:sequenceFlow id="flow_entry_mode_entry_guidance" name="新規入力" sourceRef="entry_mode" targetRef="entry_guidance">'
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">review_decision != "return"'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>",
        files,
    )
    assert validate_files(files, MAIN) == []


def test_unconditioned_branch_that_is_not_the_default_is_reported():
    files = edited("application.bpmn", ' default="flow_review_again"', "")
    found = problem(validate_files(files, MAIN), "no_default")
    assert "「再審査」に条件がなく、既定フローでもありません" in found.message


def test_unreachable_elements():
    files = edited(
        "detail_entry.bpmn",
        '<bpmn:sequenceFlow id="flow_entry_plan_entry_billing" sourceRef="entry_plan" targetRef="entry_billing" />',
        "",
    )
    found = problem(validate_files(files, MAIN), "unreachable")
    assert (found.file, found.element_id) == ("detail_entry.bpmn", "entry_billing")
    assert "「請求先に関する情報」には開始イベントからたどり着けません" in found.message


def test_missing_called_process():
    files = edited("application.bpmn", 'calledElement="review"', 'calledElement="review_v2"')
    found = problem(validate_files(files, MAIN), "called_process")
    assert (found.file, found.element_id) == ("application.bpmn", "call_review")
    assert "呼び出すプロセス 'review_v2' がどのファイルにもありません" in found.message
    files = repository()
    del files["review.bpmn"]
    assert problem(validate_files(files, MAIN), "called_process").element_id == "call_review"


def test_main_process_must_be_in_the_bundle():
    found = problem(
        validate_files({"review.bpmn": repository()["review.bpmn"]}, MAIN), "main_process"
    )
    assert MAIN in found.message


def test_service_topic_and_mail_template_must_exist():
    files = edited("issuance.bpmn", 'camunda:topic="issue_ids"', 'camunda:topic="issue_id"')
    assert problem(validate_files(files, MAIN), "topic").element_id == "issue_ids"
    files = edited("issuance.bpmn", 'value="confirmation_done"', 'value="confirmation_sent"')
    found = problem(validate_files(files, MAIN), "property")
    assert found.element_id == "send_confirmation_mail" and "confirmation_sent" in found.message


def test_a_process_defined_twice_is_refused():
    files = {**repository(), "review_copy.bpmn": repository()["review.bpmn"]}
    found = problem(validate_files(files, MAIN), "duplicate_process")
    assert found.element_id == "review" and "review" in found.message


def test_files_saved_by_modelers_load_without_hand_editing():
    for fixture in ("camunda7_review_two_pools.bpmn", "bpmnio_signup.bpmn"):
        upload = {fixture: (FIXTURES / fixture).read_text(encoding="utf-8")}
        bundle, replaced = merge(repository(), upload)
        assert replaced == ["review.bpmn" if "review" in fixture else "signup.bpmn"]
        assert errors(validate_files(bundle, MAIN)) == [], fixture


def test_merge_replaces_by_file_name_or_by_process():
    base = repository()
    same_name, replaced = merge(base, {"review.bpmn": base["review.bpmn"]})
    assert replaced == ["review.bpmn"] and set(same_name) == set(base)
    renamed, replaced = merge(base, {"review_v2.bpmn": base["review.bpmn"]})
    assert replaced == ["review.bpmn"] and "review_v2.bpmn" in renamed
