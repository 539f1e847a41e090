"""The product's workflow classes walk their task trees as the library's iterators do: the same
tasks in the same order for every query they answer, and the same engine run step for step."""

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskIterator, TaskState

from app.domain.schedule import timer_dates
from app.engine import runtime, walks
from app.engine.expressions import RestrictedScriptEngine
from app.engine.positions import STANDING
from app.engine.serializer import spec_from_json, workflow_state_to_json
from app.services.tasks import PROCESS_VARIABLES
from tests.helpers import ANSWERS
from tests.unit.test_engine import Recorder, bundle

SINGLE_STATES = [1 << n for n in range(9)]
MASKS = SINGLE_STATES + [
    TaskState.NOT_FINISHED_MASK,
    TaskState.FINISHED_MASK,
    TaskState.DEFINITE_MASK,
    TaskState.PREDICTED_MASK,
    TaskState.ANY_MASK,
    STANDING,
    TaskState.READY | TaskState.WAITING,
]


def assert_walks_match_library(workflow) -> None:
    """Every plain query, on the workflow and each sub-workflow, answered as the library does."""
    assert isinstance(workflow, walks.ProductWorkflow)
    for part in (workflow, *workflow.subprocesses.values()):
        assert isinstance(part, walks.FastWalks)
        for mask, manual in itertools.product(MASKS, (None, True, False)):
            expected = BpmnBaseWorkflow.get_tasks(part, state=mask, manual=manual)
            assert part.get_tasks(state=mask, manual=manual) == expected, (mask, manual)
            if manual is None:
                assert part.get_tasks(state=mask) == expected, mask
        waiting = list(TaskIterator(part.task_tree, state=TaskState.WAITING))
        assert list(walks.iter_tasks(part, TaskState.WAITING, into_subprocesses=False)) == waiting


class Timeline(Recorder):
    """The service tasks as the engine sees them, with the dates issue_ids gives the timers."""

    def __call__(self, topic, properties, data):
        super().__call__(topic, properties, data)
        if topic == "issue_ids":
            return {**timer_dates(date(2027, 1, 15), date(2027, 1, 8)), "office_code": "NAC001"}
        return {}


def _journey(workflow_class, steps: int, expire: bool) -> list[str]:
    """Start a workflow of the product's diagrams as start_workflow does, on `workflow_class`,
    then complete the first ready user task again and again (returned once by the review), with
    the 36-hour reminder fired on the way (and the 48-hour expiry if `expire`); with no user
    task ready, ten days pass and the due timers fire (setup, start of use). Returns the state
    after each step, or the error that ended the run."""
    spec, subprocess_specs = spec_from_json(bundle().spec_json)
    recorder = Timeline()
    states, idle = [], 0
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        workflow = workflow_class(
            spec, dict(subprocess_specs), script_engine=RestrictedScriptEngine(recorder)
        )
        data = {"application_id": 1}
        workflow.data.update(data)
        workflow.task_tree.data.update(data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        workflow.do_engine_steps()
        decisions = iter(["return", "approve"])
        for step in range(steps):
            if step == 4:
                traveller.shift(timedelta(hours=37))
                states.append(repr(runtime.fire_due_timers(workflow)))
            if expire and step == 6:
                traveller.shift(timedelta(hours=12))
                states.append(repr(runtime.fire_due_timers(workflow)))
            ready = runtime.ready_tasks(workflow)
            if not ready:
                if workflow.completed or idle == 6:
                    break
                idle += 1
                traveller.shift(timedelta(days=10))
                states.append(repr(runtime.fire_due_timers(workflow)))
                states.append(workflow_state_to_json(workflow))
                continue
            task = ready[0]
            answer = dict(ANSWERS.get(task.form_key, {}))
            if task.form_key == "review_decision":
                answer = {"decision": next(decisions, "approve")}
            updates = {task.form_key: answer, **PROCESS_VARIABLES.get(task.form_key, dict)(answer)}
            try:
                runtime.complete_task(workflow, task.task_id, task.lane, updates)
            except Exception as exc:  # noqa: BLE001 - both runs must fail alike
                states.append(f"{type(exc).__name__}: {exc}")
                break
            states.append(workflow_state_to_json(workflow))
            if isinstance(workflow, walks.ProductWorkflow):
                assert_walks_match_library(workflow)
    return states


@pytest.mark.parametrize("expire", [False, True], ids=["to the review and on", "expired"])
def test_the_engine_runs_the_same_steps_as_on_the_library_classes(numbered_ids, expire):
    ours = _journey(walks.ProductWorkflow, 40, expire)
    numbered_ids()
    theirs = _journey(BpmnWorkflow, 40, expire)
    assert len(ours) > (7 if expire else 20)
    assert ours == theirs


def test_a_started_workflow_and_its_restore_are_the_products_classes():
    parsed = bundle()
    workflow = runtime.start_workflow(parsed.spec_json, {"application_id": 1}, Recorder())
    for form_key in ("signup_contact", "signup_confirm"):
        task = runtime.ready_tasks(workflow)[0]
        runtime.complete_task(workflow, task.task_id, "applicant", {form_key: {}})
    assert workflow.subprocesses  # the sign-up ran as a sub-workflow
    assert_walks_match_library(workflow)
    restored = runtime.load_workflow(workflow_state_to_json(workflow), parsed.spec_json, None)
    assert_walks_match_library(restored)
    assert all(isinstance(s, walks.ProductSubWorkflow) for s in restored.subprocesses.values())


def test_a_very_large_tree_is_walked_by_the_library(monkeypatch):
    """Past the size where the library's depth limit could matter, its own iterator answers."""
    parsed = bundle()
    workflow = runtime.start_workflow(parsed.spec_json, {"application_id": 1}, Recorder())
    calls = []
    original = BpmnBaseWorkflow.get_tasks_iterator

    def counted(self, *args, **kwargs):
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(BpmnBaseWorkflow, "get_tasks_iterator", counted)
    workflow.get_tasks(state=TaskState.READY)
    assert calls == []
    monkeypatch.setattr(walks, "_MAX_TASKS", 1)
    expected = workflow.get_tasks(state=TaskState.READY)
    assert calls and expected == list(walks.iter_tasks(workflow, TaskState.READY))
