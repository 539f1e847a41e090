"""The bare step on SpiffWorkflow as it ships, for scale beside P1's judged baseline.

P1 judges the product's POST against the bare step run on the product's own engine code: its
task and sub-workflow converters (app/engine/task_codec.py) and its workflow classes with faster
tree walks (app/engine/walks.py). Those make the engine's part of every request faster, and so
the judged baseline too. This module runs the same step with SpiffWorkflow's own converters and
classes: only what the library cannot do is added, the same as the product's (restoring a state
against the version's specs already in memory, leaving the specs out of the saved state, and the
converters for date, datetime and Decimal it lacks). Same state, same task, same data; its saved
JSON equals the product's (tests/integration/test_bench_smoke.py checks it).
"""

import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from uuid import UUID


@cache
def library_serializer():
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.serializer.default.workflow import (
        BpmnWorkflowConverter,
        WorkflowConverter,
    )
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

    from app.engine.specs import TopicServiceTask, TopicServiceTaskConverter

    class AgainstCachedSpecs(BpmnWorkflowConverter):
        """The library's workflow converter; the specs are given, not restored nor saved."""

        def to_dict(self, workflow):
            dct = WorkflowConverter.to_dict(self, workflow)
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
            return dct

        def from_dict(self, dct, spec=None, subprocess_specs=None):
            workflow = self.target_class(spec, subprocess_specs, deserializing=True)
            workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
            workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
            self.set_default_attributes(workflow, dct)
            self.subprocesses_from_dict(dct["subprocesses"], workflow)
            workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
            return workflow

    config = dict(CAMUNDA_CONFIG)
    config[TopicServiceTask] = TopicServiceTaskConverter
    config[BpmnWorkflow] = AgainstCachedSpecs
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"])
    )
    registry.register(
        datetime, lambda v: {"value": v.isoformat()}, lambda d: datetime.fromisoformat(d["value"])
    )
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    return BpmnWorkflowSerializer(registry)


def library_step(state: str, key: str, task_id: str, lane: str, updates: dict) -> str:
    """Restore `state` (SpiffWorkflow's JSON, as _saved_state gives it) against the cached specs
    of version `key`, complete the task with `updates`, run the engine steps, serialize."""
    from app.engine import runtime
    from app.engine.expressions import RestrictedScriptEngine

    serializer = library_serializer()
    spec, subprocess_specs = runtime.version_specs(key, _no_spec_json)
    dct = json.loads(state)
    dct.pop(serializer.VERSION_KEY, None)
    workflow = serializer.from_dict(dct, spec=spec, subprocess_specs=dict(subprocess_specs))
    workflow.script_engine = RestrictedScriptEngine(lambda *args: None)
    runtime.complete_task(workflow, task_id, lane, updates)
    return _to_json(serializer, workflow)


def _to_json(serializer, workflow) -> str:
    # As the product writes a state (serializer.workflow_state_to_json): the encoder mode makes
    # the registry turn task data into its JSON forms.
    serializer.registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
        dct[serializer.VERSION_KEY] = serializer.VERSION
        return json.dumps(
            dct, cls=serializer._encoder_cls, ensure_ascii=False, separators=(",", ":")
        )
    finally:
        serializer.registry._encoder_mode = False


def _no_spec_json() -> str:
    raise AssertionError("the version's specs should be cached by now")
