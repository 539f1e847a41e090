"""Workflow and spec serialization, with converters SpiffWorkflow lacks (date, datetime, Decimal)."""

import json
import zlib
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task

from app.engine.specs import TopicServiceTask, TopicServiceTaskConverter
from app.engine.task_codec import (
    FastSubWorkflowConverter,
    FastTaskConverter,
    FastWorkflowMixin,
    uuid_of,
)
from app.engine.walks import ProductSubWorkflow, ProductWorkflow


class SpecsApartConverter(BpmnWorkflowConverter):
    """SpiffWorkflow's workflow converter, which can also restore a workflow's state against
    spec objects already in memory (`spec`, `subprocess_specs` passed to `from_dict`) instead
    of rebuilding them from their JSON; the steps are those of the library's own from_dict.

    Its to_dict leaves the specs out: they belong to the version (specs_to_json), and the
    library's to_dict spent about 40 % of a save converting them only to have them dropped.
    Task ids are parsed by `parse_id` (UUID here; the product's cache below)."""

    parse_id = staticmethod(UUID)

    def to_dict(self, workflow):
        # The library's keys in its order, without "spec" and "subprocess_specs".
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None:
            return super().from_dict(dct)
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], self.parse_id, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(self.parse_id(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class CachedSpecWorkflowConverter(FastWorkflowMixin, SpecsApartConverter):
    """The product's: the specs apart, task ids parsed through the cache (task_codec)."""

    parse_id = staticmethod(uuid_of)


def register_value_converters(registry) -> None:
    """The converters SpiffWorkflow lacks: date, datetime and Decimal."""
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


def _build_serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[TopicServiceTask] = TopicServiceTaskConverter
    config[BpmnWorkflow] = CachedSpecWorkflowConverter
    # The library's converters (CAMUNDA_CONFIG maps Task and BpmnSubWorkflow to them) with the
    # same output, faster (task_codec).
    config[Task] = FastTaskConverter
    config[BpmnSubWorkflow] = FastSubWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Registered last under the library's type names: states restore as the product's classes
    # (engine.walks: the same workflows with faster tree walks) and read and write unchanged.
    CachedSpecWorkflowConverter(ProductWorkflow, registry, "BpmnWorkflow")
    FastSubWorkflowConverter(ProductSubWorkflow, registry, "BpmnSubWorkflow")
    register_value_converters(registry)
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _build_serializer()
# zlib's default level: 9 saves about 1 % more for twice the time on a saved state.
STATE_LEVEL = 6


def specs_to_json(spec, subprocess_specs: dict) -> str:
    registry = SERIALIZER.registry
    return json.dumps(
        {
            "spec": registry.convert(spec),
            "subprocess_specs": {name: registry.convert(s) for name, s in subprocess_specs.items()},
        },
        ensure_ascii=False,
    )


def pack_state(workflow: BpmnWorkflow) -> bytes:
    """The instance's state as stored: its compact JSON, zlib-compressed (about a tenth of the
    text: the task tree repeats the same keys, spec names and data in every task)."""
    return zlib.compress(workflow_state_to_json(workflow).encode("utf-8"), STATE_LEVEL)


def state_text(stored: bytes | str | None) -> str:
    """The JSON of a stored state: compressed bytes (process_instance), or text as the
    housekeeping rows and a brand-new instance's placeholder hold it."""
    if stored is None:
        return "{}"
    if isinstance(stored, bytes | bytearray | memoryview):
        return zlib.decompress(stored).decode("utf-8")
    return stored


def workflow_state_to_json(workflow: BpmnWorkflow, serializer=SERIALIZER) -> str:
    """The instance's own state: everything but the specs, which belong to the version."""
    # Task data is stored as deltas that only the serializer's JSON encoder converts.
    serializer.registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)  # without the specs (SpecsApartConverter)
        dct[serializer.VERSION_KEY] = serializer.VERSION
        return json.dumps(
            dct, cls=serializer._encoder_cls, ensure_ascii=False, separators=(",", ":")
        )
    finally:
        serializer.registry._encoder_mode = False


def workflow_from_json(state: bytes | str, spec_json: str) -> BpmnWorkflow:
    dct = json.loads(state_text(state))
    dct.update(json.loads(spec_json))
    SERIALIZER.migrate(dct)
    return SERIALIZER.from_dict(dct)


def workflow_from_state(state: bytes | str, spec, subprocess_specs: dict) -> BpmnWorkflow | None:
    """Restore only the instance's state against already deserialized specs of its version.

    None when the state was written by another serializer version: its migration may need
    the specs as JSON, so the caller restores it with workflow_from_json instead."""
    dct = json.loads(state_text(state))
    if dct.get(SERIALIZER.VERSION_KEY) != SERIALIZER.VERSION:
        return None
    del dct[SERIALIZER.VERSION_KEY]
    return SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)


def spec_from_json(spec_json: str):
    dct = json.loads(spec_json)
    registry = SERIALIZER.registry
    spec = registry.restore(dct["spec"])
    subs = {name: registry.restore(s) for name, s in dct["subprocess_specs"].items()}
    return spec, subs
