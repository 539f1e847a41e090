"""Timer plumbing: the library reads our clock, and pending timers are listed with due times."""

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app import clock


class _ClockDatetime(datetime):
    """datetime whose now() is the app clock, so a moved development clock moves timers too."""

    @classmethod
    def now(cls, tz=None):
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)


# SpiffWorkflow reads `datetime.now(timezone.utc)` inside this module only.
timer_module.datetime = _ClockDatetime


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
