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
from functools import cache


@cache
def library_serializer():
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

    from app.engine.serializer import SpecsApartConverter, register_value_converters
    from app.engine.specs import TopicServiceTask, TopicServiceTaskConverter

    config = dict(CAMUNDA_CONFIG)
    config[TopicServiceTask] = TopicServiceTaskConverter
    # The library's workflow converter with the specs given, not restored nor saved: the
    # product's without its task-id cache. Tasks and sub-workflows keep the library's own.
    config[BpmnWorkflow] = SpecsApartConverter
    registry = BpmnWorkflowSerializer.configure(config)
    register_value_converters(registry)
    return BpmnWorkflowSerializer(registry)


def library_step(state: str, key: str, task_id: str, lane: str, updates: dict) -> str:
    """Restore `state` (SpiffWorkflow's JSON, as _saved_state gives it) against the cached specs
    of version `key`, complete the task with `updates`, run the engine steps, serialize."""
    from app.engine import runtime
    from app.engine.expressions import RestrictedScriptEngine
    from app.engine.serializer import workflow_state_to_json

    serializer = library_serializer()
    spec, subprocess_specs = runtime.version_specs(key, _no_spec_json)
    dct = json.loads(state)
    dct.pop(serializer.VERSION_KEY, None)
    workflow = serializer.from_dict(dct, spec=spec, subprocess_specs=dict(subprocess_specs))
    workflow.script_engine = RestrictedScriptEngine(lambda *args: None)
    runtime.complete_task(workflow, task_id, lane, updates)
    return workflow_state_to_json(workflow, serializer)


def _no_spec_json() -> str:
    raise AssertionError("the version's specs should be cached by now")
