"""Real Camunda Modeler files (shared corpus, read-only): the validator reads them as they are and
explains, element by element, what this product cannot run."""

from pathlib import Path

import pytest

from app.services.validation import validate_files

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "bpmn-corpus" / "camunda"
FILES = (
    sorted(p for p in CORPUS.glob("*/*") if p.suffix in (".bpmn", ".xml"))
    if CORPUS.is_dir()
    else []
)
pytestmark = pytest.mark.skipif(not FILES, reason=f"BPMN corpus not found at {CORPUS}")
KNOWN_CODES = {
    "schema",
    "unsupported",
    "form_key",
    "form",
    "lane",
    "topic",
    "property",
    "timer",
    "condition",
    "no_default",
    "unreachable",
    "called_process",
    "reference",
    "di",
    "not_called",
    "engine",
}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_corpus_file_gets_a_located_explanation(path):
    problems = validate_files({path.name: path.read_text(encoding="utf-8")})
    assert problems, "no Camunda example fits this product's contract as it is"
    for problem in problems:
        assert problem.code in KNOWN_CODES, problem
        assert problem.file == path.name
        assert problem.line and problem.line > 0, problem
        assert problem.message and not problem.message.startswith("Traceback")


EXPECTED = {
    "invoice.v2.bpmn": [
        ("assignApprover", "unsupported", "ビジネスルールタスク"),
        ("ServiceTask_1", "unsupported", "Java クラス"),
        ("approveInvoice", "form", "embedded:"),
        ("teamAssistant", "lane", "Team Assistant"),
        ("invoiceNotApproved", "condition", "「!x」は「not x」"),
        ("reviewInvoice", "called_process", "ReviewInvoice"),
    ],
    "camunda-testing-job-announcement.bpmn": [
        ("Flow_1gfi885", "condition", "#{...}"),
        ("mail", "unsupported", "サービスタスク"),
    ],
    "loan-granting.bpmn": [
        ("StartEvent_1", "unsupported", "開始イベントのタイマー"),
        ("Task_1lvjtd4", "topic", "creditScoreChecker"),
        ("SubProcess_16kr5xn", "unsupported", "マルチインスタンス"),
    ],
    "MessageStartEventTest.testDeployStartAndIntermediateEventWithSameMessageInSameProcess.bpmn": [
        ("EventBasedGateway_1", "unsupported", "イベントベースゲートウェイ"),
        ("StartEvent_1", "unsupported", "メッセージイベント"),
    ],
    "ProcessEngineTests-findInTwoPools.bpmn": [
        ("SequenceFlow_1i6ai36", "condition", "'continue' は予約語"),
    ],
    "InputOutputTest.testOutputMappingOnTimerBoundaryEvent.bpmn": [
        ("testProcess", "di", "BPMN DI"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_specific_faults_in_real_files_are_named(name):
    path = next((p for p in FILES if p.name == name), None)
    if path is None:
        pytest.skip(f"{name} not in the corpus")
    problems = validate_files({name: path.read_text(encoding="utf-8")})
    for element, code, words in EXPECTED[name]:
        assert any(
            p.element_id == element and p.code == code and words in p.message for p in problems
        ), (element, code, words, [str(p) for p in problems])
