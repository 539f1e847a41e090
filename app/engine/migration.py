"""Moving a running workflow to another version of its diagrams, with timers recomputed.

Built on SpiffWorkflow's spec diff (`bpmn.util.diff`): tasks are aligned to the new specs by
element id; a workflow can move only when everything it waits on exists in the new version
with the same form and lane. History whose elements were removed is spliced out of the tree,
stale predictions are redone, and waiting timers get due times from the new definitions.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.util.diff import SpecDiff
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from app import clock
from app.engine.serializer import SERIALIZER, spec_from_json


@lru_cache(maxsize=8)
def _target(spec_json: str) -> tuple:
    # The target version's specs, restored once and shared like the runtime's spec cache.
    return spec_from_json(spec_json)


ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING


@dataclass(frozen=True)
class TimerChange:
    element_id: str
    name: str
    old_due: str | None
    new_due: str | None


@dataclass
class Plan:
    """What moving one workflow would do; `blockers` empty means it can move."""

    blockers: list[str] = field(default_factory=list)
    timers: list[TimerChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blockers


class MigrationRefused(Exception):
    """The workflow cannot move; the message lists why."""


def _label(spec) -> str:
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name


def _form_key(spec) -> str | None:
    return getattr(getattr(spec, "form", None), "key", None)


def _parts(workflow: BpmnWorkflow, new_spec, new_deps) -> list[tuple]:
    """(workflow part, its SpecDiff or None) for the top workflow and every sub-process."""
    parts = [(workflow, SpecDiff(SERIALIZER.registry, workflow.spec, new_spec))]
    for sub in workflow.subprocesses.values():
        target = new_deps.get(sub.spec.name)
        diff = SpecDiff(SERIALIZER.registry, sub.spec, target) if target is not None else None
        parts.append((sub, diff))
    return parts


def plan(workflow: BpmnWorkflow, new_spec_json: str) -> Plan:
    """Read-only: can this workflow move to the new version, and what changes for it?"""
    new_spec, new_deps = _target(new_spec_json)
    result = Plan()
    for part, diff in _parts(workflow, new_spec, new_deps):
        active = part.get_tasks(state=ACTIVE, skip_subprocesses=True)
        if diff is None:
            if not part.completed:
                result.blockers.append(
                    f"実行中のサブプロセス「{part.spec.name}」が新しい版にありません。"
                )
            else:
                result.notes.append(
                    f"完了済みのサブプロセス「{part.spec.name}」は新しい版にありません。"
                )
            continue
        for task in active:
            _check_task(task, diff.alignment.get(task.task_spec), result)
        for task in part.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
            new = diff.alignment.get(task.task_spec)
            if new is not None and (change := _timer_change(task, new)):
                result.timers.append(change)
        result.timers.extend(_new_boundary_timers(part, diff, dry_run=True))
    return result


def _check_task(task, new, result: Plan) -> None:
    old = task.task_spec
    name = _label(old)
    if new is None:
        result.blockers.append(
            f"「{name}」（{old.name}）で待っていますが、新しい版にはありません。"
        )
        return
    if task.has_state(TaskState.READY) and getattr(old, "manual", False):
        if _form_key(old) != _form_key(new):
            result.blockers.append(
                f"「{name}」の画面（フォーム）が {_form_key(old)} から {_form_key(new)} に変わります。"
            )
        if (old.lane or "") != (new.lane or ""):
            result.blockers.append(
                f"「{name}」の担当（レーン）が {old.lane} から {new.lane} に変わります。"
            )
    if task.has_state(TaskState.STARTED) and getattr(old, "spec", None) != getattr(
        new, "spec", None
    ):
        result.blockers.append(
            f"「{name}」が呼び出すプロセスが {old.spec} から {new.spec} に変わります（実行中のため移せません）。"
        )


def _timer_change(task, new_spec) -> TimerChange | None:
    old_def = getattr(task.task_spec, "event_definition", None)
    new_def = getattr(new_spec, "event_definition", None)
    if not isinstance(new_def, TimerEventDefinition):
        return None
    same = type(old_def) is type(new_def) and old_def.expression == new_def.expression
    old_due = _due_text(task)
    if same and old_due is not None:
        return None
    new_value = _recompute(task, old_def, new_def)
    new_due = new_value.get("next") if isinstance(new_value, dict) else new_value
    return TimerChange(new_spec.bpmn_id or new_spec.name, _label(new_spec), old_due, new_due)


def _due_text(task) -> str | None:
    value = task._get_internal_data("event_value")
    return value.get("next") if isinstance(value, dict) else value


def _recompute(task, old_def, new_def):
    """The event value the new definition gives, counting durations from when the timer began."""
    engine = task.workflow.script_engine
    expression = engine.evaluate(task, new_def.expression)
    if isinstance(new_def, DurationTimerEventDefinition):
        start = _started(task, old_def)
        parsed = TimerEventDefinition.parse_iso_duration(expression)
        return (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
    if isinstance(new_def, CycleTimerEventDefinition):
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        return {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
    return TimerEventDefinition.parse_time_or_duration(expression).isoformat()


def _started(task, old_def) -> datetime:
    """When a waiting duration timer began: its due time minus its old duration."""
    due = _due_text(task)
    if due and isinstance(old_def, DurationTimerEventDefinition):
        try:
            old = task.workflow.script_engine.evaluate(task, old_def.expression)
            parsed = TimerEventDefinition.parse_iso_duration(old)
            end = TimerEventDefinition.get_datetime(due)
            return end - TimerEventDefinition.get_timedelta_from_end(parsed, end)
        except Exception:  # an old expression that no longer evaluates: count from now
            pass
    return clock.now().astimezone(UTC)


def _boundary_additions(part, spec_of) -> list[tuple]:
    """(running activity, its new split spec, whether the split exists, timer events to add)."""
    found = []
    for task in part.get_tasks(state=TaskState.READY | TaskState.STARTED, skip_subprocesses=True):
        new = spec_of(task)
        split = next(
            (i for i in getattr(new, "inputs", []) if isinstance(i, BoundaryEventSplit)), None
        )
        if split is None:
            continue
        parent = task.parent
        exists = parent is not None and spec_of(parent) is split
        present = {spec_of(c) for c in parent.children} if exists else set()
        missing = [
            o
            for o in split.outputs
            if o is not new
            and o not in present
            and isinstance(getattr(o, "event_definition", None), TimerEventDefinition)
        ]
        if missing:
            found.append((task, split, exists, missing))
    return found


def _new_boundary_timers(part, diff, dry_run: bool) -> list[TimerChange]:
    """Timers added to an activity that is running now start counting from now."""
    if dry_run:
        additions = _boundary_additions(part, lambda t: diff.alignment.get(t.task_spec))
    else:
        additions = _boundary_additions(part, lambda t: t.task_spec)
    changes = []
    for task, split_spec, exists, missing in additions:
        split = task.parent
        if not dry_run and not exists:
            # The activity had no boundary events: put the split the new spec expects above it.
            parent = task.parent
            split = Task(part, split_spec, parent=parent, state=TaskState.COMPLETED)
            split.data = dict(task.data)
            parent._children.remove(task.id)
            split._children.append(task.id)
            task._parent = split.id
        for output in missing:
            definition = output.event_definition
            if dry_run:
                value = _recompute_for(part, task, definition)
            else:
                child = split._add_child(output, TaskState.WAITING)
                child.data = dict(task.data)
                value = _recompute_for(part, child, definition)
                child._set_internal_data(event_value=value)
                output._predict(child, mask=TaskState.PREDICTED_MASK | TaskState.WAITING)
                part.top_workflow.event_manager.add_task(child)
            due = value.get("next") if isinstance(value, dict) else value
            changes.append(TimerChange(output.bpmn_id or output.name, _label(output), None, due))
    return changes


def _recompute_for(part, task, definition):
    expression = part.script_engine.evaluate(task, definition.expression)
    if isinstance(definition, DurationTimerEventDefinition):
        start = clock.now().astimezone(UTC)
        parsed = TimerEventDefinition.parse_iso_duration(expression)
        return (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
    if isinstance(definition, CycleTimerEventDefinition):
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        return {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
    return TimerEventDefinition.parse_time_or_duration(expression).isoformat()


def migrate(workflow: BpmnWorkflow, new_spec_json: str) -> Plan:
    """Move the workflow to the new specs in place; raises MigrationRefused when it cannot."""
    outcome = plan(workflow, new_spec_json)
    if not outcome.ok:
        raise MigrationRefused(" / ".join(outcome.blockers))
    new_spec, new_deps = _target(new_spec_json)
    parts = _parts(workflow, new_spec, new_deps)
    for sub_id, sub in list(workflow.subprocesses.items()):
        if sub.spec.name not in new_deps:
            del workflow.subprocesses[sub_id]  # completed history of a removed process
    workflow.subprocess_specs = new_deps
    for part, diff in parts:
        if diff is None:
            continue
        waiting = {
            t: diff.alignment.get(t.task_spec)
            for t in part.get_tasks(state=TaskState.WAITING, skip_subprocesses=True)
        }
        timers = {
            t: _recompute(t, t.task_spec.event_definition, new.event_definition)
            for t, new in waiting.items()
            if new is not None and _timer_change(t, new) is not None
        }
        _swap_specs(part, diff, new_spec if part is workflow else new_deps[part.spec.name])
        for task, value in timers.items():
            task._set_internal_data(event_value=value)
        _new_boundary_timers(part, diff, dry_run=False)
        for task in part.get_tasks(state=ACTIVE, skip_subprocesses=True):
            task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | task.state)
        if part.last_task is not None and part.last_task.id not in part.tasks:
            part.last_task = None
    return outcome


def _swap_specs(part, diff, spec) -> None:
    part.spec = spec
    for task in list(part.tasks.values()):
        if task.id not in part.tasks:
            continue
        new = diff.alignment.get(task.task_spec)
        if new is not None:
            task.task_spec = new
        elif task.has_state(TaskState.PREDICTED_MASK):
            part._remove_task(task.id)
        else:
            _splice(part, task)


def _splice(part, task) -> None:
    """Drop one finished task whose element was removed, keeping its children in the tree."""
    parent = task.parent
    if parent is None:
        return
    index = parent._children.index(task.id)
    parent._children[index : index + 1] = list(task._children)
    for child in task.children:
        child._parent = parent.id
    del part.tasks[task.id]
