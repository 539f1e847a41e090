"""Migration g7cmp0000007 converts existing rows both ways: states, mail bodies, positions."""

import json
import zlib
from datetime import timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from app.extensions import db
from app.models import OutboundMail, ProcessInstance
from app.services.timers import fire_due_timers
from tests.helpers import complete_applicant_tasks, login, review, signup, staff_login


def _positions() -> dict[int, str]:
    return dict(db.session.execute(select(ProcessInstance.id, ProcessInstance.positions)).all())


def _raw(sql: str) -> list:
    with db.engine.connect() as conn:
        return conn.execute(text(sql)).all()


def test_downgrade_and_upgrade_convert_every_row(app, client, staff_client, smtp, clock_at):
    # Applications at several stages: detail entry, under review, approved, one ended.
    applicant = signup(client, smtp)
    assert login(client, *applicant).status_code == 302
    complete_applicant_tasks(client)
    staff_login(staff_client)
    review(staff_client, "approve")
    signup(app.test_client(), smtp)
    abandoned = app.test_client()
    signup(abandoned, smtp)
    other = app.test_client()
    assert login(other, *signup(other, smtp)).status_code == 302
    complete_applicant_tasks(other)
    clock_at.shift(timedelta(hours=50))  # the provisional accounts left in detail entry expire
    fire_due_timers()
    db.session.expire_all()

    states = {
        i.id: zlib.decompress(i.state).decode() for i in db.session.scalars(select(ProcessInstance))
    }
    statuses = {i.id: i.status for i in db.session.scalars(select(ProcessInstance))}
    assert "running" in statuses.values() and set(statuses.values()) != {"running"}
    bodies = {m.id: (m.body_text, m.body_html) for m in db.session.scalars(select(OutboundMail))}
    assert bodies and all(text_ for text_, _html in bodies.values())
    positions = _positions()
    assert any(positions.values())
    db.session.remove()

    try:
        downgrade(revision="f6prf0000006")
        columns = {c["name"] for c in inspect(db.engine).get_columns("process_instance")}
        assert "positions" not in columns
        old = dict(_raw("SELECT id, state FROM process_instance"))
        assert {k: json.loads(v) for k, v in old.items()} == {
            k: json.loads(v) for k, v in states.items()
        }
        mails = {
            r[0]: (r[1], r[2]) for r in _raw("SELECT id, body_text, body_html FROM outbound_mail")
        }
        assert mails == bodies
        # As the previous revision wrote them: indented JSON text is read as well.
        with db.engine.begin() as conn:
            for instance_id, state in old.items():
                conn.execute(
                    text("UPDATE process_instance SET state = :s WHERE id = :i"),
                    {"s": json.dumps(json.loads(state), ensure_ascii=False), "i": instance_id},
                )
    finally:
        db.session.remove()
        upgrade()

    db.session.expire_all()
    again = {
        i.id: zlib.decompress(i.state).decode() for i in db.session.scalars(select(ProcessInstance))
    }
    assert again == states  # compact JSON again, byte for byte
    assert {
        m.id: (m.body_text, m.body_html) for m in db.session.scalars(select(OutboundMail))
    } == bodies
    # The positions are rebuilt from the states, as the engine wrote them.
    assert _positions() == positions
    assert {i for i, p in positions.items() if p} == {
        i for i, s in statuses.items() if s == "running"
    }
