"""The workflow facade used by services: parse, start, load, run tasks, fire timers."""

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from uuid import UUID

from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.engine.expressions import RestrictedScriptEngine
from app.engine.serializer import (
    spec_from_json,
    specs_to_json,
    state_text,
    workflow_from_json,
    workflow_from_state,
)
from app.engine.specs import ProductParser
from app.engine.timers import pending_timers
from app.engine.walks import ProductWorkflow

ServiceHandler = Callable[[str, dict, dict], dict | None]


class TaskNotAvailable(Exception):
    """The task is not READY, not manual, or belongs to another lane."""


@dataclass(frozen=True)
class ReadyTask:
    task_id: str
    bpmn_id: str
    process_id: str
    title: str
    form_key: str
    lane: str


@dataclass(frozen=True)
class ParsedBundle:
    process_id: str
    content_hash: str
    spec_json: str


def content_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(files[name].encode())
        digest.update(b"\0")
    return digest.hexdigest()


def parse_bundle(files: dict[str, str], process_id: str) -> ParsedBundle:
    """Parse a set of BPMN files (name -> XML) into the serialized specs of one process."""
    parser = ProductParser()
    for name in sorted(files):
        parser.add_bpmn_str(files[name].encode("utf-8"), filename=name)
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    return ParsedBundle(process_id, content_hash(files), specs_to_json(spec, subprocess_specs))


@lru_cache(maxsize=32)
def _specs(spec_json: str):
    # Parsed once per version per process; keyed by the JSON itself so a version never mixes.
    return spec_from_json(spec_json)


# Deserialized specs per version content hash (a version's spec JSON is derived from its files
# alone, so the hash names it). Specs are only read while a workflow runs, never changed, so one
# set serves every workflow of the version; the lock guards the cache itself across threads.
_VERSION_SPECS: OrderedDict[str, tuple] = OrderedDict()
_VERSION_SPECS_LOCK = threading.Lock()
_VERSION_SPECS_MAX = 32


def version_specs(key: str, read_spec_json: Callable[[], str]) -> tuple:
    """(spec, subprocess specs) of the version whose content hash is `key`; `read_spec_json`
    is called only when this process has not deserialized them yet."""
    with _VERSION_SPECS_LOCK:
        found = _VERSION_SPECS.get(key)
        if found is not None:
            _VERSION_SPECS.move_to_end(key)
            return found
    parsed = spec_from_json(read_spec_json())  # outside the lock: it may read the database
    with _VERSION_SPECS_LOCK:
        found = _VERSION_SPECS.setdefault(key, parsed)
        _VERSION_SPECS.move_to_end(key)
        while len(_VERSION_SPECS) > _VERSION_SPECS_MAX:
            _VERSION_SPECS.popitem(last=False)
    return found


def cached_version_keys() -> list[str]:
    with _VERSION_SPECS_LOCK:
        return list(_VERSION_SPECS)


def _engine(services: ServiceHandler | None) -> RestrictedScriptEngine:
    return RestrictedScriptEngine(services)


def start_workflow(
    spec_json: str | None, data: dict, services: ServiceHandler, specs: tuple | None = None
) -> BpmnWorkflow:
    """A new workflow on the given specs (from version_specs), or on those of `spec_json`."""
    spec, subprocess_specs = specs if specs is not None else _specs(spec_json)
    workflow = ProductWorkflow(spec, dict(subprocess_specs), script_engine=_engine(services))
    workflow.data.update(data)
    workflow.task_tree.data.update(data)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    workflow.do_engine_steps()
    return workflow


def load_workflow(
    state_json: bytes | str, spec_json: str, services: ServiceHandler
) -> BpmnWorkflow:
    """Rebuild the workflow, specs included, from JSON (tools and tests; see restore_workflow)."""
    workflow = workflow_from_json(state_json, spec_json)
    # The script engine is not serialized: set the restricted one again every time.
    workflow.script_engine = _engine(services)
    return workflow


def restore_workflow(
    state_json: bytes | str, key: str, read_spec_json: Callable[[], str], services: ServiceHandler
) -> BpmnWorkflow:
    """The request path: restore only the instance state against the version's cached specs
    (`key` its content hash); the spec JSON is read only when this process lacks them."""
    spec, subprocess_specs = version_specs(key, read_spec_json)
    workflow = workflow_from_state(state_json, spec, dict(subprocess_specs))
    if workflow is None:  # written by an older serializer: migrate it with the specs' JSON
        workflow = workflow_from_json(state_json, read_spec_json())
    # The script engine is not serialized: set the restricted one again every time.
    workflow.script_engine = _engine(services)
    return workflow


def ready_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    return ready_of(workflow.get_tasks(state=TaskState.READY, manual=True))


def ready_of(tasks) -> list[ReadyTask]:
    """The READY user tasks among `tasks` (a get_tasks result: its order is kept), so that one
    walk of the tree serves the inbox and the positions (store.save)."""
    result = []
    for task in tasks:
        if task.state != TaskState.READY or not task.task_spec.manual:
            continue
        form = getattr(task.task_spec, "form", None)
        result.append(
            ReadyTask(
                task_id=str(task.id),
                bpmn_id=task.task_spec.bpmn_id,
                process_id=task.workflow.spec.name,
                title=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                form_key=getattr(form, "key", None) or "",
                lane=task.task_spec.lane or "",
            )
        )
    return result


def ready_task_ids(workflow: BpmnWorkflow) -> set[str]:
    """The ids of ready_tasks(workflow) without walking the tree: every task of the workflow
    and of its subprocesses is in one of their task maps (the walk reaches each of them)."""
    found = set()
    for tasks in (workflow.tasks, *(sub.tasks for sub in workflow.subprocesses.values())):
        for task in tasks.values():
            if task.state == TaskState.READY and task.task_spec.manual:
                found.add(str(task.id))
    return found


def _ready_task(workflow: BpmnWorkflow, task_id: str, lane: str):
    task = _find(workflow, task_id)
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotAvailable("the task is not waiting for input")
    if (task.task_spec.lane or "") != lane:
        raise TaskNotAvailable("the task belongs to another role")
    return task


def is_ready(workflow: BpmnWorkflow, task_id: str, lane: str) -> bool:
    try:
        _ready_task(workflow, task_id, lane)
    except TaskNotAvailable:
        return False
    return True


def complete_task(workflow: BpmnWorkflow, task_id: str, lane: str, updates: dict) -> None:
    """Run one READY manual task of the given lane with the form's data, then engine steps."""
    task = _ready_task(workflow, task_id, lane)
    task.data.update(copy.deepcopy(updates))
    task.run()
    workflow.do_engine_steps()


def update_ready_data(workflow: BpmnWorkflow, updates: dict) -> None:
    """Change data seen by whatever runs next (edits of earlier screens, staff corrections)."""
    clean = copy.deepcopy(updates)
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        task.data.update(clean)


def fire_due_timers(workflow: BpmnWorkflow) -> list[str]:
    """Fire every due timer and run what follows; returns the names of the timers that fired."""
    before = {t.task_id: t for t in pending_timers(workflow)}
    workflow.refresh_timers()
    workflow.do_engine_steps()
    still = {t.task_id for t in pending_timers(workflow)}
    return [t.name for tid, t in before.items() if tid not in still and _completed(workflow, tid)]


def _completed(workflow: BpmnWorkflow, task_id: str) -> bool:
    task = _find(workflow, task_id)
    return (
        task is not None
        and task.has_state(TaskState.COMPLETED)
        and isinstance(task.task_spec, CatchingEvent)
    )


def task_completed(workflow: BpmnWorkflow, task_id: str) -> bool:
    task = _find(workflow, task_id)
    return task is not None and task.has_state(TaskState.COMPLETED)


def _find(workflow: BpmnWorkflow, task_id: str):
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except Exception:  # unknown id, or a task of a subprocess that was removed
        return None


def end_status(workflow: BpmnWorkflow) -> str | None:
    """The "status" property of the end event that finished the main process, if any."""
    if not workflow.completed:
        return None
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        if task.workflow is workflow and isinstance(task.task_spec, EndEvent):
            status = (getattr(task.task_spec, "extensions", None) or {}).get("status")
            if status:
                return status
    return None


def workflow_status(workflow: BpmnWorkflow) -> str:
    if workflow.completed:
        # SpiffWorkflow's cancel() ends a workflow without success (instance administration).
        return "completed" if workflow.success else "cancelled"
    return "running"


def active_elements(workflow: BpmnWorkflow) -> list[tuple[str, str]]:
    """(process id, element id) of every READY, STARTED or WAITING task, for diagram overlays."""
    mask = TaskState.READY | TaskState.STARTED | TaskState.WAITING
    return [
        (t.workflow.spec.name, t.task_spec.bpmn_id)
        for t in workflow.get_tasks(state=mask)
        if t.task_spec.bpmn_id
    ]


def element_states(stored: bytes | str, main_process_id: str) -> dict[str, dict[str, tuple]]:
    """Read-only overlay data from a saved state (as stored), without loading the workflow:
    {process id: {element id: (done|active|waiting|cancelled, due ISO text or None)}}."""
    import json

    rank = {"active": 4, "waiting": 3, "done": 2, "cancelled": 1}
    result: dict[str, dict[str, tuple]] = {}
    state = json.loads(state_text(stored or "{}"))
    parts = [(main_process_id, state)] + [
        (sub.get("spec", ""), sub) for sub in (state.get("subprocesses") or {}).values()
    ]
    for process_id, part in parts:
        found = result.setdefault(process_id, {})
        for task in (part.get("tasks") or {}).values():
            value = task.get("state")
            event = (task.get("internal_data") or {}).get("event_value")
            due = event.get("next") if isinstance(event, dict) else event
            if value in (TaskState.READY, TaskState.STARTED, TaskState.ERROR):
                entry = ("active", None)
            elif value == TaskState.WAITING:
                entry = ("waiting", due) if due else ("active", None)
            elif value == TaskState.COMPLETED:
                entry = ("done", None)
            elif value == TaskState.CANCELLED:
                entry = ("cancelled", None)
            else:
                continue
            spec = task.get("task_spec", "")
            if rank[entry[0]] > rank.get(found.get(spec, ("", None))[0], 0):
                found[spec] = entry
    return result
