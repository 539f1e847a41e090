"""Where an instance stands, as the text kept in process_instance.positions on every save.

Every (process, element) with a READY, STARTED, ERROR or WAITING task — what the analyst's
overlays call active or waiting — boundary events left out (they wait beside the element they
guard, which is listed). Written as " process:element process:element " (sorted, spaces on
both ends, "" when nothing runs) so that the analyst's per-element counts are one GROUP BY and
its stage filter one substring search, in SQL, without reading states. BPMN ids and process ids
are XML NCNames: they hold neither spaces nor colons.
"""

from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

STANDING = TaskState.READY | TaskState.STARTED | TaskState.ERROR | TaskState.WAITING


def of_workflow(workflow: BpmnWorkflow) -> set[tuple[str, str]]:
    """(process id, element id) of every element the workflow stands on."""
    return of_tasks(workflow.get_tasks(state=STANDING))


def of_tasks(standing) -> set[tuple[str, str]]:
    """The same from the workflow's tasks in a STANDING state (store.save walks once)."""
    return {
        (task.workflow.spec.name, task.task_spec.bpmn_id)
        for task in standing
        if task.task_spec.bpmn_id and not isinstance(task.task_spec, BoundaryEvent)
    }


def encode(pairs: set[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    return " " + " ".join(sorted(f"{process}:{element}" for process, element in pairs)) + " "


def decode(text: str | None) -> set[tuple[str, str]]:
    return {tuple(item.split(":", 1)) for item in (text or "").split()}


def token(process_id: str, element_id: str) -> str:
    """What a positions text contains when the instance stands on that element."""
    return f" {process_id}:{element_id} "


def of(workflow: BpmnWorkflow) -> str:
    """The positions text of a workflow (process_instance.positions)."""
    return encode(of_workflow(workflow))
