"""Restoring only the instance state against the version's cached specs is exact at every
stage; the stored state (compressed JSON) and the instance's positions column say the same."""

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from app.domain.schedule import JST
from app.engine import positions, runtime, store
from app.engine.serializer import SERIALIZER, pack_state, state_text, workflow_state_to_json
from app.extensions import db
from app.models import Application, ProcessInstance
from app.services import analyst
from app.services.timers import fire_due_timers
from tests.helpers import (
    ANSWERS,
    claim_and_open,
    complete_applicant_tasks,
    login,
    post_page,
    review,
    signup,
    staff_login,
)
from tests.unit.test_engine_walks import assert_walks_match_library
from tests.unit.test_task_codec import assert_same_as_library


def _instance() -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalars(select(ProcessInstance)).one()


def _positions_from_state(instance: ProcessInstance) -> set[tuple[str, str]]:
    """Where the analyst pages used to read an instance's position: its parsed state."""
    version = instance.version
    procs = analyst.model(version)
    found = set()
    for process_id, elements in runtime.element_states(instance.state, version.process_id).items():
        nodes = procs[process_id].nodes if process_id in procs else {}
        for element, (state, _due) in elements.items():
            node = nodes.get(element)
            if state in ("active", "waiting") and node and node.kind != "boundaryEvent":
                found.add((process_id, element))
    return found


def _library_state(workflow) -> dict:
    """The state as SpiffWorkflow's own workflow converter writes it (specs included), with the
    specs dropped afterwards: what the product stored before its converter left them out."""
    from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter

    registry = SERIALIZER.registry
    converter = registry.convert_to_dict["BpmnWorkflow"].args[1].__self__
    registry._encoder_mode = True
    try:
        dct = BpmnWorkflowConverter.to_dict(converter, workflow)
        dct["typename"] = "BpmnWorkflow"
        for key in ("spec", "subprocess_specs"):
            del dct[key]
        dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
        text = json.dumps(
            dct, cls=SERIALIZER._encoder_cls, ensure_ascii=False, separators=(",", ":")
        )
    finally:
        registry._encoder_mode = False
    return text


def assert_exact_round_trip(stage: str) -> None:
    """state → restore against the cached specs → state again: identical (the compressed bytes
    too), and identical to the library's full restore (specs rebuilt from their JSON), with
    the same tasks waiting; the positions column says where the state stands."""
    instance = _instance()
    version = instance.version
    stored = instance.state
    assert isinstance(stored, bytes) and not stored.startswith(b"{"), stage
    text = state_text(stored)
    assert len(stored) * 4 < len(text.encode()), stage  # compressed, not merely binary
    assert version.content_hash in runtime.cached_version_keys(), stage
    cached = store.load(instance, None)
    again = workflow_state_to_json(cached)
    assert json.loads(again) == json.loads(text), stage
    assert again == text, stage
    assert _library_state(cached) == again, stage  # the same bytes as the library writes
    assert pack_state(cached) == stored, stage
    full = runtime.load_workflow(stored, version.spec_json, None)
    assert workflow_state_to_json(full) == again, stage
    # The product's task converters restore what the library's restore, task by task.
    assert_same_as_library(text, version.spec_json, cached)
    assert runtime.ready_tasks(cached) == runtime.ready_tasks(full), stage
    # The product's workflow classes answer every plain walk as the library's iterators do.
    assert_walks_match_library(cached)
    assert_walks_match_library(full)
    assert runtime.workflow_status(cached) == runtime.workflow_status(full), stage
    # The specs are shared, not copied: the cached restore uses the very objects of the cache.
    spec, subs = runtime.version_specs(version.content_hash, lambda: version.spec_json)
    assert cached.spec is spec and all(cached.subprocess_specs[k] is subs[k] for k in subs)
    where = positions.decode(instance.positions)
    assert where == positions.of_workflow(cached) == _positions_from_state(instance), stage
    assert bool(where) == (instance.status == "running"), stage
    db.session.rollback()


def _status() -> str:
    db.session.expire_all()
    return db.session.scalars(select(Application.status)).one()


def test_every_stage_round_trips_and_the_next_step_still_runs(
    app, client, staff_client, smtp, clock_at
):
    login_id, password = signup(client, smtp)
    assert_exact_round_trip("signup done")
    assert login(client, login_id, password).status_code == 302
    assert_exact_round_trip("detail entry opened")
    for stop in ("entry_start_date", "entry_manager", "entry_confirm"):
        complete_applicant_tasks(client, stop_at=stop)
        assert_exact_round_trip(f"before {stop}")
    complete_applicant_tasks(client)
    assert _status() == "submitted"
    assert_exact_round_trip("submitted, waiting for review")

    staff_login(staff_client)
    review(staff_client, "return", comment="事業所名をご確認ください。")
    assert _status() == "returned"
    assert_exact_round_trip("returned for correction")
    complete_applicant_tasks(client)
    assert _status() == "submitted"
    assert_exact_round_trip("resubmitted")

    review(staff_client, "approve")
    assert _status() == "issued"
    assert_exact_round_trip("approved, codes issued")
    assert complete_applicant_tasks(client) == ["issuance_confirm", "system_setup"]
    assert _status() == "setup_filed"
    assert_exact_round_trip("setup filed")

    url = claim_and_open(staff_client, lane="operator")
    assert post_page(staff_client, url, ANSWERS["setup_work"]).status_code == 302
    assert _status() == "setup_done"
    assert_exact_round_trip("setup done, waiting for the start date")

    start = db.session.scalars(select(Application.confirmed_start_date)).one()
    midnight = datetime.combine(start, datetime.min.time(), tzinfo=JST)
    clock_at.move_to(midnight + timedelta(minutes=1))
    assert fire_due_timers() == 1
    assert _status() == "in_use"
    assert_exact_round_trip("in use")
    clock_at.move_to(midnight + timedelta(days=400))
    fire_due_timers()
    assert_exact_round_trip("after every remaining timer")
