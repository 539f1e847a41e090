"""Engine operations of instance administration: cancel, reset to a user task, variables."""

import copy
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.engine.timers import pending_timers

MAIN_SCOPE = "main"
# Tasks whose data is what runs next: READY / STARTED user tasks, WAITING timers and call
# activities (STARTED) whose data the called process hands back when it ends.
_LIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING


class AdminOpError(Exception):
    """The operation does not apply to this workflow (message for the service layer)."""


def cancel_workflow(workflow: BpmnWorkflow) -> list[str]:
    """Cancel every open task of the workflow and its sub-workflows (SpiffWorkflow's cancel);
    returns the names of the waiting timers that will now never fire."""
    timers = [t.name for t in pending_timers(workflow)]
    workflow.cancel()
    return timers


def is_cancelled(workflow: BpmnWorkflow) -> bool:
    return workflow.completed and not workflow.success


def _workflows(workflow: BpmnWorkflow) -> list:
    return [workflow, *workflow.subprocesses.values()]


def last_completed_task(workflow: BpmnWorkflow, form_key: str):
    """The most recently completed user task with this form key, in any (sub-)workflow."""
    found = []
    for wf in _workflows(workflow):
        for task in wf.get_tasks(state=TaskState.COMPLETED, first_task=wf.task_tree):
            form = getattr(task.task_spec, "form", None)
            if task.workflow is wf and getattr(form, "key", None) == form_key:
                found.append(task)
    # Sub-workflows are kept in the order they were started, tasks in tree order: the last one
    # found is the most recent (state-change times may tie under a frozen clock).
    return found[-1] if found else None


def reset_to_task(workflow: BpmnWorkflow, task) -> None:
    """Make a completed user task READY again with SpiffWorkflow's own reset: everything after
    it is removed, sub-workflows started since are deleted, and each calling task up the chain
    is reset to STARTED around the sub-workflow that holds the task."""
    if task is None or not task.has_state(TaskState.COMPLETED):
        raise AdminOpError("the task is not completed")
    removed = workflow.reset_from_task_id(task.id)
    # SpiffWorkflow 3.2 leaves the removed tasks' timers registered with the event manager
    # (they would be "refreshed" with no parent): unregister whatever is no longer in a tree.
    live = {task_id for wf in _workflows(workflow) for task_id in wf.tasks}
    for gone in [*removed, *workflow.event_manager.tasks.values()]:
        if gone.id not in live:
            workflow.event_manager.remove_task(gone)
    # The reset re-opens the chain of workflows above the task; their "completed" flags (set
    # when they reached an end event) must follow, or the engine would skip them.
    wf = task.workflow
    while wf is not None:
        wf.completed = False
        wf.success = True
        parent_id = wf.parent_task_id
        wf = workflow.get_task_from_id(parent_id).workflow if parent_id is not None else None
    workflow.do_engine_steps()
    if not task.has_state(TaskState.READY):
        raise AdminOpError("the task did not become ready again")


@dataclass(frozen=True)
class Scope:
    key: str  # "main" or the id of the call activity task that runs the stage
    label: str
    process_id: str


def scopes(workflow: BpmnWorkflow) -> list[Scope]:
    """The running workflow as a whole, then each running stage (sub-workflow)."""
    result = [
        Scope(MAIN_SCOPE, workflow.spec.description or workflow.spec.name, workflow.spec.name)
    ]
    for task_id, sub in workflow.subprocesses.items():
        if not sub.completed:
            result.append(Scope(str(task_id), sub.spec.description or sub.spec.name, sub.spec.name))
    return result


def _scope_workflows(workflow: BpmnWorkflow, scope: str) -> list:
    if scope == MAIN_SCOPE:
        # Call activities copy all variables in and out: a variable lives in every running part.
        return _workflows(workflow)
    for task_id, sub in workflow.subprocesses.items():
        if str(task_id) == scope and not sub.completed:
            nested = [s for s in workflow.subprocesses.values() if _inside(s, sub)]
            return [sub, *nested]
    raise AdminOpError("unknown scope")


def _inside(candidate, parent) -> bool:
    wf = candidate.parent_workflow
    while wf is not None:
        if wf is parent:
            return not candidate.completed
        wf = wf.parent_workflow
    return False


def _live_tasks(workflows: list) -> list:
    tasks = []
    for wf in workflows:
        tasks += [t for t in wf.get_tasks(state=_LIVE, first_task=wf.task_tree) if t.workflow is wf]
    # The innermost task first: that is the value the next step reads.
    return sorted(tasks, key=lambda t: -t.workflow.depth)


def variables(workflow: BpmnWorkflow, scope: str) -> dict[str, Any]:
    """{name: current value} as the next step of this scope would read it."""
    values: dict[str, Any] = {}
    for task in _live_tasks(_scope_workflows(workflow, scope)):
        for name, value in task.data.items():
            values.setdefault(name, value)
    return dict(sorted(values.items()))


def set_variable(workflow: BpmnWorkflow, scope: str, name: str, value: Any) -> int:
    """Set one existing variable in every live task of the scope; returns the tasks changed."""
    tasks = [t for t in _live_tasks(_scope_workflows(workflow, scope)) if name in t.data]
    if not tasks:
        raise AdminOpError("unknown variable")
    for task in tasks:
        task.data[name] = copy.deepcopy(value)
    return len(tasks)
