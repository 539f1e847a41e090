"""How the studio names things: who deployed a version, and the diagrams a process can show."""

from sqlalchemy import select

from app.engine.render import diagrams
from app.extensions import db
from app.models import StaffUser

DEPLOYERS = {"cli": "コマンドライン", "system": "システム（起動時の配備）"}


def deployer_names(labels: set[str]) -> dict[str, str]:
    """Who deployed, as people read it: the staff member's name, or 「コマンドライン」."""
    logins = {label.partition(":")[2] for label in labels if label.startswith("staff:")}
    names = dict(
        db.session.execute(
            select(StaffUser.login, StaffUser.name).where(StaffUser.login.in_(logins))
        ).all()
        if logins
        else []
    )
    result = {}
    for label in labels:
        kind, _, login = label.partition(":")
        if kind == "staff":
            result[label] = names.get(login) or f"職員 {login}"
        else:
            result[label] = DEPLOYERS.get(label, label)
    return result


def diagram_choices(
    files: dict[str, str], process_id: str, chosen: str | None
) -> tuple[list[tuple[str, str]], str | None]:
    """The diagrams (BPMNDiagram) that show the process, as (id, name), and the one to draw:
    a file can hold several (e.g. a collapsed sub-process drawn apart)."""
    refs = [r for r in diagrams(files) if process_id in r.processes]
    ids = [r.diagram for r in refs]
    current = chosen if chosen in ids else next((r.diagram for r in refs if r.primary), None)
    return [(r.diagram, r.name) for r in refs], current or (ids[0] if ids else None)
