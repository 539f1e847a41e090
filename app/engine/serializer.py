"""Workflow and spec serialization, with converters SpiffWorkflow lacks (date, datetime, Decimal)."""

import json
from datetime import date, datetime
from decimal import Decimal

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from app.engine.specs import TopicServiceTask, TopicServiceTaskConverter


def _build_serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[TopicServiceTask] = TopicServiceTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Exact-type lookups: datetime needs its own entry even though it subclasses date.
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"])
    )
    registry.register(
        datetime,
        lambda v: {"value": v.isoformat()},
        lambda d: datetime.fromisoformat(d["value"]),
    )
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _build_serializer()
_SPEC_KEYS = ("spec", "subprocess_specs")


def specs_to_json(spec, subprocess_specs: dict) -> str:
    registry = SERIALIZER.registry
    return json.dumps(
        {
            "spec": registry.convert(spec),
            "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()},
        },
        ensure_ascii=False,
    )


def workflow_state_to_json(workflow: BpmnWorkflow) -> str:
    """The instance's own state: everything but the specs, which belong to the version."""
    # Task data is stored as deltas that only the serializer's JSON encoder converts.
    SERIALIZER.registry._encoder_mode = True
    try:
        dct = SERIALIZER.to_dict(workflow)
        for key in _SPEC_KEYS:
            dct.pop(key, None)
        dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
        return json.dumps(dct, cls=SERIALIZER._encoder_cls, ensure_ascii=False)
    finally:
        SERIALIZER.registry._encoder_mode = False


def workflow_from_json(state_json: str, spec_json: str) -> BpmnWorkflow:
    dct = json.loads(state_json)
    dct.update(json.loads(spec_json))
    SERIALIZER.migrate(dct)
    return SERIALIZER.from_dict(dct)


def spec_from_json(spec_json: str):
    dct = json.loads(spec_json)
    registry = SERIALIZER.registry
    spec = registry.restore(dct["spec"])
    subs = {name: registry.restore(s) for name, s in dct["subprocess_specs"].items()}
    return spec, subs
