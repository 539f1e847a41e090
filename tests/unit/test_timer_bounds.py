"""Timer bounds: pure rules (domain), the validator's Japanese messages, and the runtime guard."""

import threading
from datetime import UTC, datetime

import pytest
import time_machine
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from app.domain.timer_bounds import (
    MAX_SPAN,
    cycle_problem,
    date_problem,
    duration_problem,
    parse_duration,
    timer_problem,
)
from app.engine import runtime
from app.engine.timers import TimerOutOfBounds, check_timer_value
from app.services.validation import validate_files
from tests.unit.test_validation import MAIN, edited, problem

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


# --- domain ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["PT48H", "P3D", "PT1S", "P2W", "P1Y2M3DT4H5M6S", "pt30m", "P10Y", "P120M", "PT0.5S"]
)
def test_sane_durations_pass(text):
    assert duration_problem(text) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("P99999999999Y", "長すぎます"),
        ("P10000Y", "長すぎます"),
        ("P3653D", "長すぎます"),
        ("PT87700H", "長すぎます"),
        ("P0D", "0 です"),
        ("PT0S", "0 です"),
        ("P", "期間として読めません"),
        ("PT", "期間として読めません"),
        ("48時間", "期間として読めません"),
        ("P" + "9" * 40 + "Y", "期間として読めません"),
    ],
)
def test_durations_out_of_bounds_are_refused_in_japanese(text, words):
    assert words in duration_problem(text)


def test_duration_parts_and_average_calendar():
    assert parse_duration("P1Y2M3DT4H5M6,5S").seconds == 6.5
    assert parse_duration("P10Y").seconds_about() <= MAX_SPAN.total_seconds()
    assert parse_duration("nonsense") is None


@pytest.mark.parametrize(
    "text",
    ["2027-04-01T00:00:00+09:00", "2027-04-01", "2036-11-30T00:00:00Z", "2016-12-02", "2027-W01-1"],
)
def test_dates_within_ten_years_of_now_pass(text):
    assert date_problem(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("9999-12-31T23:59:59", "10 年の範囲を外れています"),
        ("2037-01-01T00:00:00+09:00", "10 年の範囲を外れています"),
        ("0001-01-01", "10 年の範囲を外れています"),
        ("P1D", "日時として読めません"),
        ("tomorrow", "日時として読めません"),
    ],
)
def test_dates_out_of_bounds_are_refused(text, words):
    assert words in date_problem(text, NOW)


@pytest.mark.parametrize(
    "text",
    [
        "R3/PT1H",
        "R1/PT1M",
        "R1000/PT1M",
        "R12/P1M",
        "R3/2027-01-01T00:00:00Z/PT1H",
        "R2/PT1H/2027-01-01",
    ],
)
def test_sane_cycles_pass(text):
    assert cycle_problem(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("R/PT0S", "回数がありません"),
        ("R/PT1H", "回数がありません"),
        ("R0/PT1H", "回数は 1〜1000"),
        ("R1001/PT1H", "回数は 1〜1000"),
        ("R3/PT0S", "間隔が短すぎます"),
        ("R3/PT59S", "間隔が短すぎます"),
        ("R11/P1Y", "10 年を超えます"),
        ("R3/9999-01-01T00:00:00Z/PT1H", "10 年の範囲を外れています"),
        ("R3/2027-01-01/2028-01-01", "繰り返しとして読めません"),
        ("R3/PT1H/PT1H", "繰り返しとして読めません"),
        ("R3", "繰り返しとして読めません"),
        ("PT1H", "繰り返しとして読めません"),
    ],
)
def test_cycles_out_of_bounds_are_refused(text, words):
    assert words in cycle_problem(text, NOW)


def test_a_timer_value_must_be_text():
    assert "文字列ではありません" in timer_problem("date", datetime(2027, 1, 1), NOW)
    assert "文字列ではありません" in timer_problem("duration", None, NOW)
    with pytest.raises(ValueError, match="unknown timer kind"):
        timer_problem("weekly", "PT1H", NOW)


# --- validation of diagrams --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "words"),
    [
        ("P99999999999Y", "長すぎます（10 年まで）"),
        ("P10000Y", "長すぎます（10 年まで）"),
        ("PT0S", "0 です"),
    ],
)
def test_a_diagram_with_an_unbounded_duration_is_refused_in_japanese(new, words):
    files = edited("application.bpmn", ">PT48H<", f">{new}<")
    found = problem(validate_files(files, MAIN), "timer")
    assert (found.file, found.element_id) == ("application.bpmn", "provisional_expiry")
    assert "のタイマー:" in found.message and words in found.message


@pytest.mark.parametrize(
    ("new", "words"),
    [
        ("R/PT0S", "回数がありません"),
        ("R5000/PT1H", "回数は 1〜1000"),
        ("R3/PT1S", "間隔が短すぎます"),
    ],
)
def test_a_diagram_with_an_unbounded_cycle_is_refused_in_japanese(new, words):
    files = edited(
        "application.bpmn",
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT48H</bpmn:timeDuration>',
        f'<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">{new}</bpmn:timeCycle>',
    )
    found = problem(validate_files(files, MAIN), "timer")
    assert found.element_id == "provisional_expiry" and words in found.message


def test_a_diagram_with_a_far_date_is_refused_in_japanese():
    files = edited(
        "application.bpmn",
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT48H</bpmn:timeDuration>',
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">9999-12-31T00:00:00+09:00</bpmn:timeDate>',
    )
    found = problem(validate_files(files, MAIN), "timer")
    assert found.element_id == "provisional_expiry" and "10 年の範囲を外れています" in found.message


# --- runtime guard -----------------------------------------------------------------------------

TIMER_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="t">
  <bpmn:process id="timed" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:userTask id="work" name="作業" camunda:formKey="signup_contact" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end" />
    <bpmn:boundaryEvent id="deadline" name="期限" attachedToRef="work">
      <bpmn:timerEventDefinition id="deadline_def">
        <bpmn:{kind} xsi:type="bpmn:tFormalExpression">timer_value</bpmn:{kind}>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="deadline" targetRef="late" />
    <bpmn:endEvent id="late" />
  </bpmn:process>
</bpmn:definitions>
"""


def _start_within(kind: str, value: object, seconds: float = 2.0) -> BaseException | None:
    """Start a workflow whose timer reads `value` from process data, in a thread given
    `seconds` to finish: what it raised (None when it started fine)."""
    parsed = runtime.parse_bundle({"timed.bpmn": TIMER_PROCESS.replace("{kind}", kind)}, "timed")
    outcome: dict[str, BaseException | None] = {"error": None}

    def start():
        try:
            with time_machine.travel(NOW, tick=True):  # a real, running clock
                runtime.start_workflow(parsed.spec_json, {"timer_value": value}, lambda *a: {})
        except BaseException as exc:  # noqa: BLE001 - handed back to the test thread
            outcome["error"] = exc

    worker = threading.Thread(target=start, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"start_workflow still running after {seconds}s for {value!r}"
    return outcome["error"]


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        ("timeDuration", "P99999999999Y", "長すぎます"),
        ("timeDuration", "P10000Y", "長すぎます"),
        ("timeCycle", "R/PT0S", "回数がありません"),
        ("timeDate", "P99999999999Y", "長すぎます"),
        ("timeDate", "9999-12-31T00:00:00", "10 年の範囲を外れています"),
        ("timeDate", 20270101, "文字列ではありません"),
    ],
)
def test_a_bad_timer_value_from_process_data_is_refused_promptly(kind, value, words):
    error = _start_within(kind, value)
    assert isinstance(error, WorkflowTaskException), error
    assert isinstance(error.__cause__, TimerOutOfBounds)
    assert error.task.task_spec.bpmn_id == "deadline"
    assert "タイマー「期限」" in str(error) and words in str(error)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("timeDuration", "PT48H"),
        ("timeDate", "2026-12-03T09:00:00+09:00"),
        ("timeCycle", "R2/PT1H"),
    ],
)
def test_sane_timer_values_from_process_data_still_start(kind, value):
    assert _start_within(kind, value) is None


def test_the_library_parsers_are_guarded_on_every_path():
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(TimerOutOfBounds, match="長すぎます"):
            TimerEventDefinition.parse_iso_duration("P99999999999Y")
        with pytest.raises(TimerOutOfBounds, match="回数がありません"):
            TimerEventDefinition.parse_iso_recurring_interval("R/PT0S")
        with pytest.raises(TimerOutOfBounds, match="10 年の範囲"):
            TimerEventDefinition.parse_time_or_duration("9999-01-01")
        assert TimerEventDefinition.parse_iso_duration("PT48H") == {"hours": 48}
        check_timer_value("cycle", "R3/PT1H")


def test_a_cycle_stored_before_the_bounds_existed_does_not_spin():
    parsed = runtime.parse_bundle(
        {"timed.bpmn": TIMER_PROCESS.replace("{kind}", "timeCycle")}, "timed"
    )
    with time_machine.travel(NOW, tick=False) as traveller:
        workflow = runtime.start_workflow(parsed.spec_json, {"timer_value": "R2/PT1H"}, None)
        (waiting,) = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "deadline"]
        waiting._set_internal_data(
            event_value={"cycles": -1, "next": NOW.isoformat(), "duration": 0.0}
        )
        traveller.shift(60)
        with pytest.raises(WorkflowTaskException, match="範囲外") as caught:
            workflow.refresh_timers()
    assert isinstance(caught.value.__cause__, TimerOutOfBounds)
