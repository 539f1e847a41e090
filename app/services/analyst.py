"""The analyst's studio read models: versions, live diagrams with overlays, applications."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from markupsafe import Markup
from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm import defer, undefer

from app.clock import now
from app.domain.dates import date_time
from app.engine import positions, runtime
from app.engine.diagram import Process, XmlError, main_path, parse_xml, processes
from app.engine.render import Overlay, RenderError, diagrams, render
from app.extensions import db
from app.models import (
    Application,
    AuditEvent,
    HumanTask,
    ProcessInstance,
    ProcessVersion,
    VersionInstanceCount,
)
from app.services import ServiceError
from app.services.analyst_display import deployer_names, diagram_choices
from app.services.validation import ROLES
from app.services.version_counts import counts, distinct_positions, position_counts
from app.services.views import STATUS_LABELS

# Lanes are keyed by role in the file; the screen shows the Japanese name only.
LANE_LABELS = dict(ROLES)
STAGE_KINDS = frozenset({"callActivity", "userTask", "subProcess", "serviceTask"})
STEP_KINDS = frozenset({"callActivity", "userTask", "subProcess"})
ENDED = ("rejected", "cancelled", "expired", "withdrawn")
LinkFor = Callable[[str], str]
SORTED_AT_MOST = 2_000  # a filtered list this long is read off its index and sorted


@lru_cache(maxsize=32)
def _parsed(version_id: int, content_hash: str) -> dict[str, Process]:
    version = db.session.get(ProcessVersion, version_id)
    trees = {}
    for name, text in (version.files if version else {}).items():
        try:
            trees[name] = parse_xml(text)
        except XmlError:
            continue
    return {p.id: p for p in reversed(processes(trees))}


def model(version: ProcessVersion) -> dict[str, Process]:
    """The processes of a version by id (parsed once per version)."""
    return _parsed(version.id, version.content_hash)


def get_version(version_id: int) -> ProcessVersion:
    version = db.session.get(ProcessVersion, version_id)
    if version is None:
        raise ServiceError("この版は見つかりません。", 404)
    return version


def jst(value: str | datetime | None) -> str:
    if not value:
        return ""
    return date_time(value)


def version_ids() -> list[int]:
    """Ids of the deployed versions, newest first (for filters: no files read)."""
    return list(db.session.scalars(select(ProcessVersion.id).order_by(ProcessVersion.id.desc())))


def versions() -> list[dict]:
    """Deployed versions, newest first, with who, when, hash and how many applications use each."""
    # A few rows kept by triggers (models.VersionInstanceCount), not a count of every instance.
    running: dict[int, int] = {}
    total: dict[int, int] = {}
    for version_id, status, instances in db.session.execute(
        select(
            VersionInstanceCount.version_id,
            VersionInstanceCount.status,
            VersionInstanceCount.instances,
        )
    ):
        total[version_id] = total.get(version_id, 0) + instances
        if status == "running":
            running[version_id] = instances
    rows = db.session.scalars(
        select(ProcessVersion)
        .options(undefer(ProcessVersion.files))  # listed by name below
        .order_by(ProcessVersion.id.desc())
    ).all()
    latest: dict[str, int] = {}
    for version in rows:
        latest.setdefault(version.process_id, version.id)
    who = deployer_names({v.deployed_by for v in rows})
    return [
        {
            "version": v,
            "deployed_by": who.get(v.deployed_by, v.deployed_by),
            "running": running.get(v.id, 0),
            "total": total.get(v.id, 0),
            "files": sorted(v.files),
            "processes": [(p.id, p.name or p.id) for p in ordered(v)],
            "latest": latest[v.process_id] == v.id,
        }
        for v in rows
    ]


def _stages(instance: ProcessInstance) -> list[str]:
    """Elements of its main process the instance stands on (boundary timers left out), in the
    diagram's order: read from its positions column, not its state."""
    version = instance.version
    main = model(version).get(version.process_id)
    if main is None:
        return []
    here = {e for p, e in positions.decode(instance.positions) if p == version.process_id}
    return [element for element in main.nodes if element in here]


def ordered(version: ProcessVersion) -> list[Process]:
    """The main process first, then the processes it calls in the order of its flow."""
    procs = model(version)
    main = procs.get(version.process_id)
    order = [main] if main else []
    if main is not None:
        called = [n.element.get("calledElement") for n in main_path(main, STAGE_KINDS)]
        called += [n.element.get("calledElement") for n in main.nodes.values()]
        order += [procs[c] for c in dict.fromkeys(called) if c in procs]
    return order + [p for p in procs.values() if all(p is not o for o in order)]


def _links(process: Process | None, link_for: LinkFor | None) -> dict[str, str]:
    if process is None or link_for is None:
        return {}
    return {
        n.id: link_for(n.element.get("calledElement"))
        for n in process.nodes.values()
        if n.kind == "callActivity" and n.element.get("calledElement")
    }


def svg(
    files: dict[str, str],
    process_id: str,
    overlay: Overlay,
    prefix: str = "bp",
    diagram: str | None = None,
) -> Markup:
    try:
        return Markup(render(files, process_id, overlay, prefix, diagram))
    except (RenderError, XmlError):
        return Markup('<p class="notice warn">この図には表示用の情報（BPMN DI）がありません。</p>')


def version_page(
    version_id: int,
    process_id: str | None,
    link_for: LinkFor | None,
    diagram: str | None = None,
) -> dict:
    version = get_version(version_id)
    procs = model(version)
    process_id = process_id if process_id in procs else version.process_id
    by_position = position_counts(version.id)
    count, inside = counts(version, by_position)
    overlay = Overlay(
        counts=dict(count.get(process_id, {})),
        links=_links(procs.get(process_id), link_for),
        lane_labels=LANE_LABELS,
    )
    choices, current = diagram_choices(version.files, process_id, diagram)
    return {
        "version": version,
        "deployed_by": deployer_names({version.deployed_by})[version.deployed_by],
        "process_id": process_id,
        "process_name": procs[process_id].name if process_id in procs else process_id,
        "tabs": [(p.id, p.name or p.id, inside[p.id]) for p in ordered(version)],
        "diagram_choices": choices,
        "diagram_id": current,
        "diagram": svg(version.files, process_id, overlay, diagram=current),
        # Running = standing somewhere (a running workflow always has a READY or WAITING task,
        # a finished one none): the sum of the per-position counts, no second count.
        "running": sum(by_position.values()),
        "files": sorted(version.files),
        "diagrams": diagrams(version.files),
    }


def version_file(version_id: int, name: str) -> str:
    version = get_version(version_id)
    if name not in version.files:
        raise ServiceError("このファイルは見つかりません。", 404)
    return version.files[name]


@dataclass(frozen=True)
class InstanceFilter:
    status: str | None = None
    stage: str | None = None
    version: int | None = None
    within_days: int | None = None
    page: int = 1


def stage_choices() -> list[tuple[str, str]]:
    """Elements of the latest main process an application can stand on, in flow order."""
    from app.engine import store

    version = store.latest_version(current_app.config["MAIN_PROCESS_ID"])
    main = model(version).get(version.process_id) if version else None
    if main is None:
        return []
    ordered = main_path(main, STAGE_KINDS)
    rest = [n for n in main.nodes.values() if n.kind in STAGE_KINDS and n not in ordered]
    catches = [n for n in main.nodes.values() if n.kind == "intermediateCatchEvent"]
    return [(n.id, n.label) for n in [*ordered, *rest, *catches]]


def _standing_on(stage: str) -> list:
    """Where an application stands: its positions column contains the main process's element.
    As conditions on the (version_id, positions) index: the distinct values that contain it
    (found by skip scans), so that counting touches only the matching index entries."""
    main_process = current_app.config["MAIN_PROCESS_ID"]
    needle = positions.token(main_process, stage)
    pairs = [(v, p) for v in version_ids() for p in distinct_positions(v) if needle in p]
    if not pairs:
        return [false()], [false()]
    by_index = [
        ProcessInstance.version_id.in_({v for v, _p in pairs}),
        ProcessInstance.positions.in_({p for _v, p in pairs}),
    ]
    return by_index, [ProcessInstance.positions.contains(needle, autoescape=True)]


def instances(filters: InstanceFilter, per_page: int = 50) -> dict:
    """Applications with where they stand, filtered by status, stage, version and deadline."""
    # Conditions on the instance alone: the total is counted off process_instance's indexes
    # (every instance has its application), joining applications only to filter by status.
    where = []
    if filters.version:
        where.append(ProcessInstance.version_id == filters.version)
    if filters.within_days is not None:
        limit = now() + timedelta(days=filters.within_days)
        task_due = exists().where(
            HumanTask.application_id == ProcessInstance.application_id,
            HumanTask.state == "ready",
            HumanTask.due_at <= limit,
        )
        where += [
            ProcessInstance.status == "running",
            or_(ProcessInstance.next_timer_at <= limit, task_due),
        ]
    scanned = list(where)
    if filters.stage:
        by_index, by_scan = _standing_on(filters.stage)
        where, scanned = where + by_index, scanned + by_scan
    counted = select(func.count()).select_from(ProcessInstance)
    if filters.status:
        counted = counted.join(Application, Application.id == ProcessInstance.application_id)
        where.append(Application.status == filters.status)
        scanned.append(Application.status == filters.status)
    if filters.status or filters.stage or filters.within_days is not None:
        total = db.session.scalar(counted.where(*where)) or 0
    else:
        # All applications, or those of one version: the triggers' counts, not every row.
        tally = select(func.coalesce(func.sum(VersionInstanceCount.instances), 0))
        if filters.version:
            tally = tally.where(VersionInstanceCount.version_id == filters.version)
        total = db.session.scalar(tally)
    pages = max(1, -(-total // per_page))
    page = min(max(filters.page, 1), pages)
    # Few matches: found off the index and sorted; many: the rows in id order, tested one by
    # one (the page fills after a few hundred), so that neither sorts thousands of rows.
    query = (
        select(Application, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.application_id == Application.id)
        .where(*(where if total <= SORTED_AT_MOST else scanned))
        .options(defer(ProcessInstance.state))  # the page shows no state
    )
    # Newest first; a page in the older half is read from the oldest end, so that no page
    # skips more than half of the rows (the last page reads only its own).
    skip = (page - 1) * per_page
    if skip * 2 <= total:
        rows = db.session.execute(
            query.order_by(Application.id.desc()).offset(skip).limit(per_page)
        ).all()
    else:
        end = min(total, skip + per_page)
        rows = db.session.execute(
            query.order_by(Application.id.asc()).offset(total - end).limit(end - skip)
        ).all()[::-1]
    shown = [(application, instance, _stages(instance)) for application, instance in rows]
    ids = [a.id for a, _i, _s in shown]
    ready = db.session.execute(
        select(HumanTask.application_id, HumanTask.title, HumanTask.due_at).where(
            HumanTask.application_id.in_(ids), HumanTask.state == "ready"
        )
    ).all()
    result = []
    for application, instance, stages in shown:
        main = model(instance.version).get(instance.version.process_id)
        tasks = [r for r in ready if r.application_id == application.id]
        dues = [r.due_at for r in tasks if r.due_at] + (
            [instance.next_timer_at] if instance.next_timer_at else []
        )
        result.append(
            {
                "application": application,
                "instance": instance,
                "stages": [main.nodes[s].label for s in stages] if main else stages,
                "waiting_on": [r.title for r in tasks],
                "deadline": min(dues) if dues else None,
            }
        )
    return {"rows": result, "total": total, "page": page, "pages": pages}


def instance_page(
    application_id: int,
    process_id: str | None,
    link_for: LinkFor | None,
    diagram: str | None = None,
) -> dict:
    """One application: its diagram with overlay, where it stands, its data and its history."""
    application = db.session.get(Application, application_id)
    if application is None or application.instance is None:
        raise ServiceError("申込が見つかりません。", 404)
    instance = application.instance
    version = instance.version
    procs = model(version)
    states = runtime.element_states(instance.state, version.process_id)
    process_id = process_id if process_id in procs else version.process_id
    overlay = Overlay(links=_links(procs.get(process_id), link_for), lane_labels=LANE_LABELS)
    nodes = procs[process_id].nodes if process_id in procs else {}
    for element, (state, due) in states.get(process_id, {}).items():
        node = nodes.get(element)
        if node is None or (state == "cancelled" and node.kind == "boundaryEvent"):
            continue
        overlay.states[element] = state
        if due:
            overlay.notes[element] = f"期限 {jst(due)}"
        if instance.suspended_at is not None and state in ("active", "waiting"):
            # A suspended instance: its open steps carry the mark (timers wait, nothing runs).
            overlay.notes[element] = "一時停止中" + (f"・期限 {jst(due)}" if due else "")
    positions = []
    for pid, elements in states.items():
        for element, (state, due) in elements.items():
            node = procs[pid].nodes.get(element) if pid in procs else None
            if node is not None and state in ("active", "waiting"):
                process_name = procs[pid].name or pid
                positions.append((pid, process_name, node.label, state, jst(due)))
    choices, current = diagram_choices(version.files, process_id, diagram)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.application_id == application.id)
        .order_by(AuditEvent.id)
    ).all()
    tasks = db.session.scalars(
        select(HumanTask).where(HumanTask.application_id == application.id).order_by(HumanTask.id)
    ).all()
    return {
        "application": application,
        "instance": instance,
        "version": version,
        "process_id": process_id,
        "tabs": [(p.id, p.name or p.id) for p in ordered(version) if p.id in states],
        "diagram_choices": choices,
        "diagram_id": current,
        "diagram": svg(version.files, process_id, overlay, diagram=current),
        "positions": positions,
        "events": events,
        "tasks": tasks,
        "status_label": STATUS_LABELS.get(application.status, application.status),
    }
