"""The version page's running applications per element, counted off process_instance.positions."""

from collections import Counter

from sqlalchemy import func, select

from app.engine import positions
from app.extensions import db
from app.models import ProcessInstance, ProcessVersion


def distinct_positions(version_id: int) -> list[str]:
    """The distinct non-empty positions values of one version's instances (a few dozen), by a
    skip scan of the (version_id, positions) index: one index seek per value, not per row."""
    after = (
        select(ProcessInstance.positions)
        .where(ProcessInstance.version_id == version_id)
        .order_by(ProcessInstance.positions)
        .limit(1)
    )
    seen = select(after.where(ProcessInstance.positions > "").scalar_subquery().label("p")).cte(
        "seen", recursive=True
    )
    step = after.where(ProcessInstance.positions > seen.c.p).scalar_subquery()
    seen = seen.union_all(select(step).where(seen.c.p.is_not(None)))
    return [p for p in db.session.scalars(select(seen.c.p)) if p is not None]


def position_counts(version_id: int) -> dict[str, int]:
    """How many instances of a version stand on each positions value: the distinct values by a
    skip scan, then one equality count per value (index ranges only; no GROUP BY over every
    row's long text, no state read)."""
    values = distinct_positions(version_id)
    if not values:
        return {}
    n = [
        select(func.count())
        .where(ProcessInstance.version_id == version_id, ProcessInstance.positions == v)
        .scalar_subquery()
        for v in values
    ]
    return dict(zip(values, db.session.execute(select(*n)).one(), strict=True))


def counts(
    version: ProcessVersion, by_position: dict[str, int] | None = None
) -> tuple[dict[str, Counter], Counter]:
    """Running applications of one version standing on each element, by process, and how many
    applications are inside each process (from position_counts: SQL off an index)."""
    # Imported here: analyst imports this module for its version page and stage filter.
    from app.services.analyst import model

    result: dict[str, Counter] = {}
    inside: Counter = Counter()
    procs = model(version)
    if by_position is None:
        by_position = position_counts(version.id)
    for text, n in by_position.items():
        within = set()
        for process_id, element in positions.decode(text):
            if process_id in procs and element in procs[process_id].nodes:
                result.setdefault(process_id, Counter())[element] += n
                within.add(process_id)
        for process_id in within:
            inside[process_id] += n
    return result, inside
