"""process_instance.positions says where each application stands; the analyst's version page
counts and stage filter are SQL on it, right after every move and at scale."""

import re
from contextlib import contextmanager

from sqlalchemy import event, func, insert, select

from app.engine import positions, runtime
from app.extensions import db
from app.models import Application, ProcessInstance, ProcessVersion
from app.services import SYSTEM, unit, version_counts
from tests.helpers import complete_applicant_tasks, login, review, signup, staff_login

MAIN = "naccs_application"
COUNT = re.compile(r'data-element="([\w-]+)"[^>]*><title>[^<]*：(\d+)件</title>')


@contextmanager
def statements():
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _main_positions() -> dict[int, set[str]]:
    db.session.expire_all()
    rows = db.session.execute(select(ProcessInstance.application_id, ProcessInstance.positions))
    return {
        application_id: {e for p, e in positions.decode(text) if p == MAIN}
        for application_id, text in rows
    }


def _version() -> ProcessVersion:
    return db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.id.desc())).first()


def test_positions_and_counts_follow_every_move(app, client, staff_client, smtp):
    first_login = signup(client, smtp)
    first = db.session.scalar(select(Application.id))
    assert _main_positions() == {first: {"call_detail_entry"}}
    other = app.test_client()
    second_login = signup(other, smtp)
    second = db.session.scalar(select(Application.id).where(Application.id != first))
    assert version_counts.counts(_version())[0][MAIN] == {"call_detail_entry": 2}

    assert login(client, *first_login).status_code == 302
    complete_applicant_tasks(client, stop_at="entry_office")
    # Inside detail entry: the main position stays, the subprocess's moves screen by screen.
    counts, inside = version_counts.counts(_version())
    assert counts[MAIN] == {"call_detail_entry": 2}
    assert counts["detail_entry"] == {"entry_office": 1, "entry_guidance": 1}
    assert inside["detail_entry"] == 2 and inside[MAIN] == 2

    complete_applicant_tasks(client)
    assert _main_positions() == {first: {"call_review"}, second: {"call_detail_entry"}}
    assert version_counts.counts(_version())[0][MAIN] == {"call_detail_entry": 1, "call_review": 1}

    staff_login(staff_client)
    review(staff_client, "approve")
    assert login(other, *second_login).status_code == 302
    complete_applicant_tasks(other)
    where = _main_positions()
    assert where[second] == {"call_review"}
    assert where[first] and "call_review" not in where[first]
    counts, inside = version_counts.counts(_version())
    assert counts[MAIN]["call_review"] == 1 and "call_detail_entry" not in counts[MAIN]
    assert "detail_entry" not in counts and inside["detail_entry"] == 0


def _complete_first_ready(u: unit.Unit) -> None:
    task = runtime.ready_tasks(u.workflow)[0]
    runtime.complete_task(u.workflow, task.task_id, task.lane, {})


def test_positions_are_written_with_the_state_and_only_when_they_change(app, client, smtp):
    signup(client, smtp)
    application_id = db.session.scalar(select(Application.id))
    with statements() as seen:
        unit.run(application_id, SYSTEM, lambda u: None)
    assert not [s for s in seen if "positions=" in s], seen

    # A move (the guidance screen done, the contact screen ready): the same UPDATE that writes
    # the state writes the positions; no other statement touches them.
    assert version_counts.counts(_version())[0]["detail_entry"] == {"entry_guidance": 1}
    with statements() as seen:
        unit.run(application_id, SYSTEM, _complete_first_ready)
    writes = [s for s in seen if "positions" in s and not s.startswith("SELECT")]
    assert len(writes) == 1, writes
    assert re.match(r"UPDATE process_instance SET state=\S+, positions=", writes[0]), writes
    assert version_counts.counts(_version())[0]["detail_entry"] == {"entry_contact": 1}


def _clone(real: Application, copies: int) -> None:
    """Copies of a real application with its state and positions, inserted in bulk."""
    instance = real.instance
    first = db.session.scalar(select(func.max(Application.id))) + 1
    ids = range(first, first + copies)
    db.session.execute(
        insert(Application),
        [{"id": i, "status": real.status, "company_name": f"複製{i}"} for i in ids],
    )
    db.session.execute(
        insert(ProcessInstance),
        [
            {
                "application_id": i,
                "version_id": instance.version_id,
                "state": instance.state,
                "status": instance.status,
                "positions": instance.positions,
            }
            for i in ids
        ],
    )
    db.session.commit()


def _total(page: str) -> int:
    return int(re.search(r"(\d+) 件", page).group(1))


def test_version_page_counts_and_stage_filter_at_scale(app, staff_client, smtp, analyst):
    at_entry = signup(app.test_client(), smtp)
    assert at_entry
    reviewed = app.test_client()
    assert login(reviewed, *signup(reviewed, smtp)).status_code == 302
    complete_applicant_tasks(reviewed)
    staff_login(staff_client)
    review(staff_client, "approve")  # the first submitted one: now in issuance
    waiting = app.test_client()
    assert login(waiting, *signup(waiting, smtp)).status_code == 302
    complete_applicant_tasks(waiting)  # submitted, waiting for review
    db.session.expire_all()
    entry, issued, submitted = db.session.scalars(select(Application).order_by(Application.id))
    assert (issued.status, submitted.status) == ("issued", "submitted")
    stands = {a.id: _main_positions()[a.id] for a in (entry, issued, submitted)}
    assert stands[entry.id] == {"call_detail_entry"} and stands[submitted.id] == {"call_review"}
    issued_at = sorted(stands[issued.id])  # the issuance stage and the password window beside it
    assert issued_at and not set(issued_at) & {"call_detail_entry", "call_review"}
    _clone(entry, 700)
    _clone(issued, 450)
    _clone(submitted, 300)

    version = _version()
    page = analyst.get(f"/analyst/versions/{version.id}").get_data(as_text=True)
    shown = {element: int(n) for element, n in COUNT.findall(page)}
    expected = {"call_detail_entry": 701, "call_review": 301, **dict.fromkeys(issued_at, 451)}
    assert shown == expected, shown
    assert "（1453）" in page  # the main process's tab: every running application is inside
    running = db.session.scalar(select(func.count()).where(ProcessInstance.status == "running"))
    assert running == 1453 and "処理中の申込 <a" in page and ">1453 件</a>" in page
    detail = analyst.get(f"/analyst/versions/{version.id}?process=detail_entry")
    assert {int(n) for _e, n in COUNT.findall(detail.get_data(as_text=True))} == {701}

    for stage, total in expected.items():
        listed = analyst.get(f"/analyst/applications?stage={stage}&page=2")
        assert listed.status_code == 200
        assert _total(listed.get_data(as_text=True)) == total, stage
    none = analyst.get("/analyst/applications?stage=call_setup_work").get_data(as_text=True)
    assert _total(none) == 0
