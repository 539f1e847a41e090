"""Resource limits of the expression engine: every attack refused fast, on every path."""

import random
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from app.engine import runtime
from app.engine.expressions import (
    LIMIT_MESSAGES,
    MAX_SIZE,
    SAFE_FUNCTIONS,
    ExpressionError,
    ExpressionLimitExceeded,
    ExpressionRefused,
    RestrictedEnvironment,
    check_expression,
    evaluate,
    expression_budget,
)
from app.services.validation import validate_files
from tests.unit.test_validation import MAIN, edited, problem, repository

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
QUICK = 1.0  # seconds: generous for a loaded machine, far below the unbounded cost

ATTACKS = [
    ("'%0100000000d' % 0", "format"),  # 100 MB string
    ("x % 0", "format"),  # the same through a variable
    ("'%s%s' % (1, 2)", "format"),
    ("[[1]*1000]*1000", "size"),
    ("[[[1]*1000]*1000]*1000 == [[[1]*1000]*1000]*1000", "size"),
    ("str([[1]*1000]*1000)", "size"),
    ("sorted([[[1]*1000]*1000]*1000)", "size"),
    ("sorted([[1]*99]*101)", "size"),
    ("'a'*1000000000", "size"),
    ("'ab' * 5001", "size"),
    ("[x] * 9000 + [x] * 9000", "size"),
    ("[[x]*100, [x]*100] * 100", "size"),
    ("int('9' * 4000)", "integer"),
    ("int('9' * 900) * int('9' * 900)", "integer"),
    ("round(5, -1000000000)", "round"),
    ("x.upper", "method"),
    ("[" * 40 + "1" + "]" * 40, "depth"),
    ("not " * 40 + "x", "depth"),
    ("-" * 200 + "1", "nodes"),
    (" + ".join(["x"] * 200), "nodes"),
    ("x or " * 400 + "x", "length"),
]


def refused_quickly(text: str, names: dict | None = None) -> ExpressionError:
    started = time.perf_counter()
    with pytest.raises(ExpressionError) as caught:
        evaluate(text, names if names is not None else {"x": "abc"})
    assert time.perf_counter() - started < QUICK, text[:60]
    return caught.value


@pytest.mark.parametrize(("text", "kind"), ATTACKS)
def test_each_attack_is_refused_quickly_with_its_reason(text, kind):
    error = refused_quickly(text)
    assert isinstance(error, ExpressionLimitExceeded) and error.kind == kind, error
    assert error.japanese == LIMIT_MESSAGES[kind]


@pytest.mark.parametrize(
    "text",
    ["'a'*10**9", "10**10**10", "1 << 100000", "[x for x in y]", "list(x)", "dict(a=1)", "f'{x}'"],
)
def test_power_shift_comprehension_and_other_functions_are_refused(text):
    assert isinstance(refused_quickly(text, {"x": "abc", "y": [1]}), ExpressionRefused)
    assert check_expression(text) is not None


def test_huge_decimals_from_task_data_never_become_integers():
    huge = {"fee": Decimal("1E+999999999")}
    for text in ("int(fee)", "round(fee)", "str(int(fee))"):
        error = refused_quickly(text, huge)
        assert isinstance(error, ExpressionLimitExceeded) and error.kind == "integer"
    assert evaluate("int(fee) + 1", {"fee": Decimal("1.50")}) == 2


def test_evaluating_never_widens_the_module_level_functions():
    before = dict(SAFE_FUNCTIONS)
    evaluate("len(rows) > 1", {"rows": [1, 2]})
    evaluate("[1, 2]", {})
    assert dict(SAFE_FUNCTIONS) == before and "list" not in SAFE_FUNCTIONS
    assert check_expression("list(rows)") is not None
    with pytest.raises(TypeError):
        SAFE_FUNCTIONS["eval"] = eval  # read-only


def test_the_time_budget_is_checked_while_evaluating():
    rows = [random.random() for _ in range(MAX_SIZE - 1)]
    slow = " and ".join(["sorted(rows)"] * 50)  # ~50 sorts of 10,000 numbers
    started = time.perf_counter()
    with pytest.raises(ExpressionLimitExceeded) as caught:
        evaluate(slow, {"rows": rows}, budget=0.01)
    assert caught.value.kind == "time"
    assert time.perf_counter() - started < QUICK
    with pytest.raises(ExpressionLimitExceeded, match="time"):
        evaluate("1 + 1", {}, budget=0)


def test_a_shared_budget_bounds_many_evaluations_together():
    with expression_budget(0):
        with pytest.raises(ExpressionLimitExceeded, match="time"):
            evaluate("1 + 1", {})
    assert evaluate("1 + 1", {}) == 2


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ('review_decision == "return"', {"review_decision": "return"}, True),
        ("${len(rows) > 1}", {"rows": [1, 2]}, True),
        ("len(comment) > 0", {"comment": "長" * 50_000}, True),  # reading big data is fine
        ('name + "様"', {"name": "山田"}, "山田様"),
        ("amount % 7", {"amount": 100}, 2),
        ("sorted(rows)[0]", {"rows": [3, 1, 2]}, 1),
        ("round(fee * 1.1)", {"fee": 1000}, 1100),
        ("'ab' * 5000 == 'ab' * 5000", {}, True),
        ("x in ['a', 'b'] and not y", {"x": "a"}, True),
        ("{'a': 1}['a'] + max(1, 2, 3)", {}, 4),
        ("office.code", {"office": {"code": "1AB"}}, "1AB"),
    ],
)
def test_legitimate_expressions_still_work(text, names, expected):
    assert evaluate(text, names) == expected


def test_every_condition_and_timer_in_the_repository_diagrams_evaluates():
    import re

    found = []
    for path in BPMN_DIR.glob("*.bpmn"):
        found += re.findall(
            r"<bpmn:(?:conditionExpression|timeDate|timeDuration|timeCycle)[^>]*>([^<]+)<",
            path.read_text(encoding="utf-8"),
        )
    assert len(found) >= 8
    for text in found:
        assert check_expression(text) is None, text
        evaluate(text.replace("&quot;", '"'), {"review_decision": "approve"})


def test_the_runtime_engine_refuses_through_the_same_bounds():
    environment = RestrictedEnvironment()
    with pytest.raises(ExpressionLimitExceeded, match="format"):
        environment.evaluate("'%0100000000d' % 0", {})
    # script lines share one budget; each line's value is bounded too
    context: dict = {}
    with pytest.raises(ExpressionLimitExceeded, match="size"):
        environment.execute("a = [1] * 9000\nb = [a] * 2", context)
    assert len(context["a"]) == 9000 and "b" not in context


GATEWAY_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="t">
  <bpmn:process id="branching" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="choice" />
    <bpmn:exclusiveGateway id="choice" default="f3" />
    <bpmn:sequenceFlow id="f2" sourceRef="choice" targetRef="yes">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">CONDITION</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="choice" targetRef="no" />
    <bpmn:endEvent id="yes" />
    <bpmn:endEvent id="no" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_deployed_bad_condition_fails_at_run_time_promptly_as_a_workflow_error():
    """A diagram that bypassed validation: the gateway's condition is refused, not run."""
    parsed = runtime.parse_bundle(
        {"b.bpmn": GATEWAY_PROCESS.replace("CONDITION", "str([[1]*1000]*1000) == x")}, "branching"
    )
    outcome: dict = {}

    def start():
        try:
            runtime.start_workflow(parsed.spec_json, {"x": "1"}, None)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test thread
            outcome["error"] = exc

    worker = threading.Thread(target=start, daemon=True)
    worker.start()
    worker.join(2.0)
    assert not worker.is_alive()
    error = outcome["error"]
    assert isinstance(error, WorkflowTaskException)
    assert error.error_type == "ExpressionLimitExceeded"
    assert isinstance(error.__context__, ExpressionLimitExceeded)


# --- the validator ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attack", "words"),
    [
        ("'%0100000000d' % 0 == review_decision", LIMIT_MESSAGES["format"]),
        ("[[1]*1000]*1000 == review_decision", LIMIT_MESSAGES["size"]),
        ("review_decision == str([[1]*99]*99)", LIMIT_MESSAGES["size"]),
        ("review_decision in " + "[" * 40 + "1" + "]" * 40, LIMIT_MESSAGES["depth"]),
    ],
)
def test_the_validator_refuses_attacks_in_japanese_and_quickly(attack, words):
    files = edited(
        "application.bpmn", 'review_decision == "approve"', attack.replace("'", "&apos;")
    )
    started = time.perf_counter()
    found = problem(validate_files(files, MAIN), "condition")
    assert time.perf_counter() - started < 10  # the whole bundle, every check
    assert (found.file, found.element_id) == ("application.bpmn", "flow_approve")
    assert "分岐「承認」の条件" in found.message and words in found.message


def test_a_timer_expression_over_the_limits_is_refused_by_the_validator():
    files = edited("application.bpmn", ">PT48H<", ">str([1] * 9999)<")
    found = problem(validate_files(files, MAIN), "timer")
    assert found.element_id == "provisional_expiry" and LIMIT_MESSAGES["size"] in found.message


def test_gateway_coverage_gives_up_within_its_time_budget():
    # two names (review_decision and a) give a few hundred combinations of ~10 ms each
    slow = " and ".join(["sorted([[[1]*20]*20]*23) != [review_decision, a]"] * 4)
    files = edited("application.bpmn", ' default="flow_review_again"', "")
    files = edited(
        "application.bpmn",
        '<bpmn:sequenceFlow id="flow_review_again" name="再審査" sourceRef="review_outcome" targetRef="review_merge" />',
        '<bpmn:sequenceFlow id="flow_review_again" name="再審査" sourceRef="review_outcome" targetRef="review_merge">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{slow}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>",
        files,
    )
    started = time.perf_counter()
    found = problem(validate_files(files, MAIN), "no_default")
    assert time.perf_counter() - started < 10
    assert "条件の組み合わせを確かめきれませんでした" in found.message


def test_repository_diagrams_stay_deployable():
    assert validate_files(repository(), MAIN) == []


def test_an_analyst_upload_with_an_attack_is_answered_quickly(app, analyst):
    from tests.integration.test_analyst import upload

    files = edited("application.bpmn", 'review_decision == "approve"', "[[1]*1000]*1000 == x")
    started = time.perf_counter()
    response = upload(analyst, {"application.bpmn": files["application.bpmn"].encode()}, "check")
    assert time.perf_counter() - started < 20
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "flow_approve" in page and "式が作る値が大きすぎます" in page
