"""SpiffWorkflow's task and sub-workflow converters, giving the same objects and JSON faster."""

from copy import copy
from functools import cached_property
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.serializer.helpers.dictionary import DictionaryConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import TaskState
from SpiffWorkflow.util.deep_merge import DeepMerge

# UUIDs are immutable, so one parsed object can serve every restore: a task's id is written
# up to four times in a state (its key, its 'id', its parent's 'children', its children's
# 'parent') and every request restores the same instances again. Cleared when full, which
# bounds the memory (a few MB) without bookkeeping. Threads share them safely: each dict
# operation is atomic, and a lost race only parses or formats an id twice.
_CACHE_LIMIT = 50_000
_UUIDS: dict[str, UUID] = {}
_TEXTS: dict[UUID, str] = {}

# The types DictionaryConverter.restore returns as they are.
_PRIMITIVES = frozenset({str, int, float, bool, type(None)})
# The types DeepMerge.merge copies (with copy.copy, which is their own .copy() method).
_COPIED = (dict, list, set)


def uuid_of(text: str) -> UUID:
    """UUID(text), parsed once per distinct text."""
    found = _UUIDS.get(text)
    if found is None:
        if len(_UUIDS) >= _CACHE_LIMIT:
            _UUIDS.clear()
        found = _UUIDS[text] = UUID(text)
    return found


def uuid_text(value: UUID) -> str:
    """str(value), formatted once per id."""
    found = _TEXTS.get(value)
    if found is None:
        found = str(value)
        # Only real UUIDs go in: nothing else compares equal to one, so a hit is always exact.
        if type(value) is UUID:
            if len(_TEXTS) >= _CACHE_LIMIT:
                _TEXTS.clear()
            _TEXTS[value] = found
    return found


def inherited_data(parent_data: dict) -> dict:
    """DeepMerge.merge({}, parent_data): the same keys in the same order, dict, list and set
    values shallow-copied, the others shared."""
    if type(parent_data) is not dict:
        return DeepMerge.merge({}, parent_data)
    data = parent_data.copy()
    for key, value in parent_data.items():
        kind = type(value)
        if kind in _PRIMITIVES:
            continue
        if kind is dict or kind is list or kind is set:
            data[key] = value.copy()
        elif isinstance(value, _COPIED):
            data[key] = copy(value)
    return data


class FastRestore:
    """The registry's restore with JSON's own types handled inline: the library's recursion
    (a method call with **kwargs per value) is a sixth of a restore."""

    def __init__(self, registry):
        self.registry = registry
        # Only the library's own restore is known to treat plain values and typename-less
        # dicts and lists this way; a registry that changes it keeps its own.
        self.exact = type(registry).restore is DictionaryConverter.restore

    def __call__(self, val):
        kind = type(val)
        if kind in _PRIMITIVES:
            return val
        if self.exact:
            # Plain values are tested here, not in a call per value: most values are plain.
            if kind is dict and "typename" not in val:
                return {k: v if type(v) in _PRIMITIVES else self(v) for k, v in val.items()}
            if kind is list:
                return [v if type(v) in _PRIMITIVES else self(v) for v in val]
        return self.registry.restore(val)


class FastTaskConverter(TaskConverter):
    """The library's TaskConverter, step for step, with each id parsed and formatted once,
    a task's data copied from its parent's directly and plain values not sent through the
    registry; the tests compare it with the library's task by task and byte for byte."""

    def __init__(self, target_class, registry, typename=None):
        super().__init__(target_class, registry, typename)
        self.fast_restore = FastRestore(registry)
        # An empty internal_data converts to a new {} in both of the library's modes (its
        # clean() and its dict recursion), unless someone registers a converter for dict.
        self.plain_convert = (
            type(registry).convert is DefaultRegistry.convert and dict not in registry.typenames
        )

    def to_dict(self, task):
        parent = task.parent  # looked up once (the library reads the property four times)
        if parent is None:
            data = task.data
            delta = {}
        else:
            data = {}
            delta = {
                "updates": DeepMerge.get_updated_keys(parent.data, task.data),
                "deletions": DeepMerge.get_deleted_keys(parent.data, task.data),
            }
        internal = task.internal_data
        if self.plain_convert and type(internal) is dict and not internal:
            internal = {}
        else:
            internal = self.registry.convert(internal)
        return {
            "id": uuid_text(task.id),
            "parent": uuid_text(task._parent) if parent is not None else None,
            "children": [uuid_text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": internal,
            "data": data,
            "delta": delta,
        }

    def from_dict(self, dct, workflow):
        restore = self.fast_restore
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=uuid_of(dct["id"]))
        task._parent = uuid_of(dct["parent"]) if dct["parent"] is not None else None
        task._children = [uuid_of(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)

        delta = dct.get("delta")
        parent = task.parent if delta else None
        if parent is not None:
            data = inherited_data(parent.data)
            data.update(restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = restore(dct["data"])
        task.data = data
        return task


class FastWorkflowMixin:
    """The library's WorkflowConverter.set_default_attributes, with the workflow's data
    restored as FastRestore does (a workflow's data holds every answer), and its
    mapping_to_dict, with the task ids formatted through the cache."""

    def mapping_to_dict(self, mapping, **kwargs):
        return {uuid_text(k): self.registry.convert(v, **kwargs) for k, v in mapping.items()}

    def set_default_attributes(self, workflow, dct):
        workflow.success = dct["success"]
        workflow.completed = dct.get("completed", False)
        workflow.correlations = dct.pop("correlations", {})
        if isinstance(dct["last_task"], str):
            workflow.last_task = workflow.tasks.get(uuid_of(dct["last_task"]))
        workflow.data = self.fast_restore(dct.pop("data", {}))

    @cached_property
    def fast_restore(self) -> FastRestore:
        # One per converter (they live as long as the serializer), not one per restore.
        return FastRestore(self.registry)


class FastSubWorkflowConverter(FastWorkflowMixin, BpmnSubWorkflowConverter):
    """The library's sub-workflow converter with the task ids parsed through the cache."""

    def from_dict(self, dct, task, top_workflow):
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], uuid_of, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(uuid_of(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        return subprocess
