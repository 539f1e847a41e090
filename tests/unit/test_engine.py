"""Engine glue: restricted expressions, ISO literals, serialization, versions and timers."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine

from app.engine import runtime
from app.engine.expressions import check_expression, evaluate, iso_literal
from app.engine.serializer import workflow_state_to_json
from app.engine.timers import next_timer_at, pending_timers

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"


def bundle():
    files = {p.name: p.read_text(encoding="utf-8") for p in BPMN_DIR.glob("*.bpmn")}
    return runtime.parse_bundle(files, "naccs_application")


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, topic, properties, data):
        self.calls.append((topic, properties))
        return {}


@pytest.mark.parametrize(
    "text",
    ["PT48H", "P1D", "PT30M", "2027-04-01T00:00:00+09:00", "2027-04-01", "R3/PT1H", "${PT48H}"],
)
def test_camunda_literal_timers_are_strings(text):
    assert iso_literal(text) is not None
    assert evaluate(text, {}) == text.strip("${}")


def test_expressions_see_task_data_and_unknown_names_are_none():
    assert evaluate('review_decision == "return"', {"review_decision": "return"}) is True
    assert evaluate('review_decision == "return"', {}) is False
    assert evaluate("${len(rows) > 1}", {"rows": [1, 2]}) is True


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "open('/etc/passwd')",
        "(1).__class__",
        "lambda: 1",
        "[x for x in y]",
    ],
)
def test_dangerous_expressions_are_refused(text):
    assert check_expression(text) is not None
    with pytest.raises(ValueError, match="expression refused"):
        evaluate(text, {"y": [1]})


def test_every_diagram_parses_and_every_user_task_names_a_registered_form():
    from forms import FORMS

    spec, subprocess_specs = runtime._specs(bundle().spec_json)
    user_tasks = [
        t
        for s in [spec, *subprocess_specs.values()]
        for t in s.task_specs.values()
        if getattr(t, "form", None)
    ]
    assert len(user_tasks) >= 17
    for task in user_tasks:
        assert task.form.key in FORMS, task.bpmn_id
        assert task.lane in {"applicant", "reviewer", "operator"}, task.bpmn_id
    assert set(subprocess_specs) == {
        "signup",
        "detail_entry",
        "review",
        "issuance",
        "confirmation_setup",
        "setup_work",
        "start_of_use",
    }


def test_state_excludes_spec_and_restores_dates_and_decimals():
    parsed = bundle()
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False):
        workflow = runtime.start_workflow(parsed.spec_json, {"application_id": 1}, Recorder())
        task = runtime.ready_tasks(workflow)[0]
        runtime.complete_task(
            workflow,
            task.task_id,
            "applicant",
            {"signup_contact": {"d": date(2027, 1, 2), "fee": Decimal("1.50")}},
        )
        state = workflow_state_to_json(workflow)
    assert '"spec"' not in state[:2000] and "subprocess_specs" not in json.loads(state)
    restored = runtime.load_workflow(state, parsed.spec_json, Recorder())
    data = runtime.ready_tasks(restored)
    assert data[0].form_key == "signup_confirm"
    task = restored.get_tasks(state=16)[0]  # READY
    assert task.data["signup_contact"] == {"d": date(2027, 1, 2), "fee": Decimal("1.50")}


def test_the_48_hour_boundary_timer_is_pending_and_fires_when_the_clock_moves():
    parsed = bundle()
    recorder = Recorder()
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # a Friday
    with time_machine.travel(start, tick=False) as traveller:
        workflow = runtime.start_workflow(parsed.spec_json, {"application_id": 1}, recorder)
        for form_key in ("signup_contact", "signup_confirm"):
            task = runtime.ready_tasks(workflow)[0]
            runtime.complete_task(workflow, task.task_id, "applicant", {form_key: {}})
        assert recorder.calls[0][0] == "create_provisional_account"
        # The non-interrupting reminder 12 hours before the expiry comes first.
        assert next_timer_at(workflow) == start + timedelta(hours=36)
        assert {t.bpmn_id for t in pending_timers(workflow)} == {
            "provisional_expiry",
            "provisional_reminder",
        }
        traveller.shift(timedelta(hours=47, minutes=59))
        assert runtime.fire_due_timers(workflow) == ["36時間経過"]
        assert recorder.calls[-1][:2] == ("send_mail", {"template": "provisional_reminder"})
        assert next_timer_at(workflow) == start + timedelta(hours=48)
        traveller.shift(timedelta(minutes=2))  # Sunday 09:01 UTC: Monday is too late
        assert runtime.fire_due_timers(workflow) == ["仮アカウント有効期限（48時間）"]
    assert recorder.calls[-1][0] == "expire_provisional_account"
    assert runtime.ready_tasks(workflow) == []


def test_a_task_of_another_lane_or_not_ready_cannot_be_run():
    parsed = bundle()
    workflow = runtime.start_workflow(parsed.spec_json, {"application_id": 1}, Recorder())
    task = runtime.ready_tasks(workflow)[0]
    with pytest.raises(runtime.TaskNotAvailable):
        runtime.complete_task(workflow, task.task_id, "reviewer", {})
    runtime.complete_task(workflow, task.task_id, "applicant", {})
    with pytest.raises(runtime.TaskNotAvailable):
        runtime.complete_task(workflow, task.task_id, "applicant", {})
    with pytest.raises(runtime.TaskNotAvailable):
        runtime.complete_task(workflow, "not-a-uuid", "applicant", {})


def test_script_engine_is_restricted_after_deserialisation():
    parsed = bundle()
    workflow = runtime.start_workflow(parsed.spec_json, {"application_id": 1}, Recorder())
    restored = runtime.load_workflow(workflow_state_to_json(workflow), parsed.spec_json, Recorder())
    with pytest.raises(ValueError, match="expression refused"):
        restored.script_engine.environment.evaluate("__import__('os')", {})
    ctx = {}
    restored.script_engine.environment.execute("a = 1 + 2\nb = a * 2", ctx)
    assert ctx == {"a": 3, "b": 6}
