"""Timer plumbing: the library reads our clock, timer values are bounded before it parses
them, and pending timers are listed with due times."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app import clock
from app.domain.timer_bounds import MAX_CYCLES, MIN_CYCLE_INTERVAL, timer_problem


class _ClockDatetime(datetime):
    """datetime whose now() is the app clock, so a moved development clock moves timers too."""

    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


# SpiffWorkflow reads `datetime.now(timezone.utc)` inside this module only.
timer_module.datetime = _ClockDatetime


class TimerOutOfBounds(ValueError):
    """A timer value outside app.domain.timer_bounds, refused before the library computes with it.

    Raised by the library's parsing entry points (every path: timers starting, migration, the
    validator); a timer task re-raises it as a WorkflowTaskException naming the task.
    """

    def __init__(self, kind: str, value: object, reason: str):
        super().__init__(f"タイマーの値を使えません: {reason}")
        self.kind = kind
        self.value = value
        self.reason = reason


def check_timer_value(kind: str, value: object) -> None:
    """Raise TimerOutOfBounds unless the value of a "duration", "date" or "cycle" timer is sane."""
    if reason := timer_problem(kind, value, clock.now()):
        raise TimerOutOfBounds(kind, value, reason)


def _bounded_parser(kind: str | None, parse: Callable) -> staticmethod:
    @functools.wraps(parse)
    def bounded(expression):
        shown = expression.upper() if isinstance(expression, str) else ""
        check_timer_value(kind or ("duration" if shown.startswith("P") else "date"), expression)
        return parse(expression)

    bounded.bounded = True
    return staticmethod(bounded)


def _naming_the_task(method: Callable) -> Callable:
    @functools.wraps(method)
    def run(self, my_task, *args, **kwargs):
        try:
            return method(self, my_task, *args, **kwargs)
        except TimerOutOfBounds as err:
            name = my_task.task_spec.bpmn_name or my_task.task_spec.bpmn_id
            raise WorkflowTaskException(
                f"タイマー「{name}」: {err}", task=my_task, exception=err
            ) from err

    run.bounded = True
    return run


def _cycle_complete(method: Callable) -> Callable:
    """A cycle stored before these bounds existed (no count, zero interval) must not spin."""

    @functools.wraps(method)
    def run(self, my_task):
        value = my_task._get_internal_data("event_value")
        if isinstance(value, dict) and (
            not 0 <= value.get("cycles", 0) <= MAX_CYCLES
            or value.get("duration", 0) < MIN_CYCLE_INTERVAL.total_seconds()
        ):
            reason = f"保存済みの繰り返し（回数 {value.get('cycles')}、間隔 {value.get('duration')} 秒）は範囲外です。"
            raise TimerOutOfBounds("cycle", value, reason)
        return method(self, my_task)

    return run


def _install_bounds() -> None:
    if getattr(TimerEventDefinition.parse_iso_duration, "bounded", False):
        return
    # The values an expression or a diagram gives: durations, dates (or durations), cycles.
    # Stored due times (get_datetime) are the library's own output and are not re-checked.
    for name, kind in (
        ("parse_iso_duration", "duration"),
        ("parse_time_or_duration", None),
        ("parse_iso_recurring_interval", "cycle"),
    ):
        setattr(
            TimerEventDefinition, name, _bounded_parser(kind, getattr(TimerEventDefinition, name))
        )
    CycleTimerEventDefinition.cycle_complete = _cycle_complete(
        CycleTimerEventDefinition.cycle_complete
    )
    for definition, name in (
        (TimeDateEventDefinition, "has_fired"),
        (DurationTimerEventDefinition, "has_fired"),
        (CycleTimerEventDefinition, "update_task"),
    ):
        setattr(definition, name, _naming_the_task(getattr(definition, name)))


_install_bounds()


@dataclass(frozen=True)
class PendingTimer:
    task_id: str
    bpmn_id: str
    name: str
    process_id: str
    due_at: datetime | None


def _due_of(task) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # cycle timers keep {"next": iso, ...}
        value = value.get("next")
    if not value:
        return None
    return TimerEventDefinition.get_datetime(value)


def pending_timers(workflow: BpmnWorkflow) -> list[PendingTimer]:
    timers = []
    for task in list(workflow.event_manager.tasks.values()):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition) and task.has_state(TaskState.WAITING):
            timers.append(
                PendingTimer(
                    task_id=str(task.id),
                    bpmn_id=task.task_spec.bpmn_id,
                    name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                    process_id=task.workflow.spec.name,
                    due_at=_due_of(task),
                )
            )
    return timers


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    dues = [t.due_at for t in pending_timers(workflow) if t.due_at is not None]
    return min(dues) if dues else None
