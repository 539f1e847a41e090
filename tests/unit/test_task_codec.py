"""The fast task converters restore the same objects and write the same bytes as the library's."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import time_machine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.deep_merge import DeepMerge

from app.engine import runtime, task_codec
from app.engine.serializer import SERIALIZER, spec_from_json, workflow_from_state
from app.engine.serializer import workflow_state_to_json as state_json
from app.engine.specs import TopicServiceTask, TopicServiceTaskConverter
from app.engine.walks import ProductSubWorkflow, ProductWorkflow
from tests.unit.test_engine import Recorder, bundle


def library_serializer() -> BpmnWorkflowSerializer:
    """The product's serializer with SpiffWorkflow's own task, sub-workflow and workflow
    converters: the reference the fast ones are held to."""
    config = dict(CAMUNDA_CONFIG)
    config[TopicServiceTask] = TopicServiceTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    ours = SERIALIZER.registry
    # The product's workflow classes are the library's with faster walks (engine.walks): the
    # library's converters write them as they write their bases.
    registry.typenames[ProductWorkflow] = "BpmnWorkflow"
    registry.typenames[ProductSubWorkflow] = "BpmnSubWorkflow"
    for cls in (date, datetime, Decimal):
        name = ours.typenames[cls]
        registry.typenames[cls] = name
        registry.convert_to_dict[name] = ours.convert_to_dict[name]
        registry.convert_from_dict[name] = ours.convert_from_dict[name]
    return BpmnWorkflowSerializer(registry)


LIBRARY = library_serializer()


def library_restore(text: str, spec_json: str):
    dct = json.loads(text)
    dct.update(json.loads(spec_json))
    LIBRARY.migrate(dct)
    return LIBRARY.from_dict(dct)


def library_text(workflow) -> str:
    """The state as the library's converters write it, the specs dropped."""
    registry = LIBRARY.registry
    registry._encoder_mode = True
    try:
        dct = BpmnWorkflowConverter.to_dict(
            registry.convert_to_dict["BpmnWorkflow"].args[1].__self__, workflow
        )
        dct["typename"] = "BpmnWorkflow"
        del dct["spec"], dct["subprocess_specs"]
        dct[LIBRARY.VERSION_KEY] = LIBRARY.VERSION
        return json.dumps(dct, cls=LIBRARY._encoder_cls, ensure_ascii=False, separators=(",", ":"))
    finally:
        registry._encoder_mode = False


def _task_view(task) -> tuple:
    parent = task.parent
    # Which values are shared with the parent's data (immutable ones) and which are copies.
    shared = [v is parent.data.get(k) for k, v in task.data.items()] if parent else None
    return (
        task.id,
        task._parent,
        list(task._children),
        task.state,
        task.task_spec.name,
        task.triggered,
        task.last_state_change,
        repr(task.internal_data),  # repr: types count (1 vs 1.0 vs True, date vs datetime)
        repr(task.data),
        shared,
        type(task),
    )


def _workflow_view(workflow) -> tuple:
    return (
        [(key, _task_view(task)) for key, task in workflow.tasks.items()],
        workflow.task_tree.id,
        workflow.last_task.id if workflow.last_task else None,
        workflow.success,
        workflow.completed,
        repr(workflow.correlations),
        repr(workflow.data),
        _library_class(workflow),
    )


def _library_class(workflow) -> type:
    """The library's class a workflow is (the product's add faster walks: engine.walks)."""
    return next(c for c in type(workflow).__mro__ if c.__module__.startswith("SpiffWorkflow"))


def assert_same_as_library(text: str, spec_json: str, workflow) -> None:
    """`workflow` (restored from `text` by the product) equals the library's restore of `text`
    task by task, and both write `text` again byte for byte."""
    reference = library_restore(text, spec_json)
    assert _workflow_view(workflow) == _workflow_view(reference)
    assert list(workflow.subprocesses) == list(reference.subprocesses)
    for key, sub in workflow.subprocesses.items():
        assert _workflow_view(sub) == _workflow_view(reference.subprocesses[key])
        assert sub.parent_task_id == reference.subprocesses[key].parent_task_id
    assert list(workflow.event_manager.tasks) == list(reference.event_manager.tasks)
    assert len(workflow.bpmn_events) == len(reference.bpmn_events)
    assert state_json(workflow) == library_text(reference) == library_text(workflow) == text


def _started_state() -> tuple[str, str]:
    parsed = bundle()
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False):
        workflow = runtime.start_workflow(parsed.spec_json, {"application_id": 1}, Recorder())
        task = runtime.ready_tasks(workflow)[0]
        answers = {"d": date(2027, 1, 2), "fee": Decimal("1.50"), "tags": {"a", "b"}}
        runtime.complete_task(workflow, task.task_id, "applicant", {"signup_contact": answers})
        return state_json(workflow), parsed.spec_json


def test_a_started_workflow_restores_as_the_library_restores_it():
    text, spec_json = _started_state()
    spec, subs = spec_from_json(spec_json)
    assert_same_as_library(text, spec_json, workflow_from_state(text, spec, dict(subs)))
    assert_same_as_library(text, spec_json, runtime.load_workflow(text, spec_json, Recorder()))


def test_the_fallback_branches_match_the_library():
    """No parent in the state, and 'data' instead of 'delta': the library's else branch."""
    text, spec_json = _started_state()
    dct = json.loads(text)
    tasks = dct["tasks"]
    keys = list(tasks)
    tasks[keys[1]]["parent"] = str(uuid4())  # a parent that is not there
    tasks[keys[2]]["delta"] = {}
    tasks[keys[2]]["data"] = {"x": [1, {"typename": "date", "value": "2027-01-02"}]}
    del tasks[keys[3]]["delta"]
    tasks[keys[3]]["data"] = {"y": 1}
    edited = json.dumps(dct, ensure_ascii=False, separators=(",", ":"))
    spec, subs = spec_from_json(spec_json)
    ours = workflow_from_state(edited, spec, dict(subs))
    reference = library_restore(edited, spec_json)
    assert _workflow_view(ours) == _workflow_view(reference)
    assert ours.tasks[UUID(keys[2])].data == {"x": [1, date(2027, 1, 2)]}


def test_inherited_data_is_deep_merge_into_an_empty_dict():
    class Sub(dict):
        pass

    parent = {"s": "x", "n": 1, "d": {"a": [1]}, "l": [1], "t": (1,), "set": {1}, "sub": Sub(a=1)}
    parent["o"] = object()
    ours, theirs = task_codec.inherited_data(parent), DeepMerge.merge({}, parent)
    assert list(ours.items()) == list(theirs.items())
    assert [type(v) for v in ours.values()] == [type(v) for v in theirs.values()]
    assert [v is parent[k] for k, v in ours.items()] == [v is parent[k] for k, v in theirs.items()]
    assert ours["d"]["a"] is parent["d"]["a"]  # shallow, as the library's


def test_fast_restore_is_the_registry_restore():
    restore = task_codec.FastRestore(SERIALIZER.registry)
    assert restore.exact
    value = {
        "a": [1, 2.5, None, True, {"typename": "Decimal", "value": "1.50"}],
        "b": {"c": {"typename": "date", "value": "2027-01-02"}, "typename_like": "x"},
        "e": {},
    }
    assert repr(restore(value)) == repr(SERIALIZER.registry.restore(value))
    typed = {"typename": "datetime", "value": "2027-01-02T03:04:05+09:00"}
    assert restore(typed) == SERIALIZER.registry.restore(typed)


def test_the_id_caches_are_exact_and_bounded(monkeypatch):
    monkeypatch.setattr(task_codec, "_CACHE_LIMIT", 3)
    task_codec._UUIDS.clear()
    task_codec._TEXTS.clear()
    ids = [uuid4() for _ in range(5)]
    for value in ids:
        text = str(value)
        assert task_codec.uuid_of(text) == value and task_codec.uuid_of(text) is task_codec.uuid_of(
            text
        )
        assert task_codec.uuid_text(value) == text
        assert len(task_codec._UUIDS) <= 3 and len(task_codec._TEXTS) <= 3
    assert task_codec.uuid_of(str(ids[0]).upper()) == ids[0]
    assert (
        task_codec.uuid_text("not a uuid") == "not a uuid" and "not a uuid" not in task_codec._TEXTS
    )
