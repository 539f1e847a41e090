"""Migration h8sml0000008 converts existing rows both ways: answers, snapshots, audit, mail."""

import json
import zlib

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from app.extensions import db
from app.models import Application, AuditEvent, OutboundMail, ReviewDecision
from app.models.packed import unpack_json
from tests.helpers import complete_applicant_tasks, login, review, signup, staff_login

TABLES = {("application", "answers"), ("review_decision", "answers"), ("audit_event", "detail")}


def _values() -> dict:
    db.session.expire_all()
    return {
        "answers": {a.id: a.answers for a in db.session.scalars(select(Application))},
        "snapshots": {d.id: d.answers for d in db.session.scalars(select(ReviewDecision))},
        "details": {e.id: e.detail for e in db.session.scalars(select(AuditEvent))},
        "mails": {
            m.id: (m.body_text, m.body_html) for m in db.session.scalars(select(OutboundMail))
        },
    }


def _raw(sql: str) -> dict:
    with db.engine.connect() as conn:
        return {row[0]: row[1] for row in conn.execute(text(sql))}


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def test_downgrade_and_upgrade_convert_every_row(app, client, staff_client, smtp):
    # One application approved (answers, a snapshot, mails, audit), one in detail entry.
    applicant = signup(client, smtp)
    assert login(client, *applicant).status_code == 302
    complete_applicant_tasks(client)
    staff_login(staff_client)
    review(staff_client, "approve")
    signup(app.test_client(), smtp)
    before = _values()
    assert before["snapshots"] and before["mails"] and len(before["details"]) > 10
    assert any("申込" in json.dumps(d, ensure_ascii=False) for d in before["details"].values())
    # Stored packed: the dictionary's version byte, then far fewer bytes than the JSON.
    stored = _raw("SELECT id, answers FROM application")
    approved = max(before["answers"], key=lambda i: len(before["answers"][i]))
    assert bytes(stored[approved])[0] == 1
    compact = json.dumps(before["answers"][approved], ensure_ascii=False, separators=(",", ":"))
    assert len(bytes(stored[approved])) * 3 < len(compact.encode("utf-8"))
    db.session.remove()

    try:
        downgrade(revision="g7cmp0000007")
        for table, column in TABLES:
            kind = next(c for c in inspect(db.engine).get_columns(table) if c["name"] == column)
            assert "JSON" in str(kind["type"]).upper()
        old_answers = _raw("SELECT id, answers FROM application")
        assert {k: _json(v) for k, v in old_answers.items()} == before["answers"]
        old_snapshots = _raw("SELECT id, answers FROM review_decision")
        assert {k: _json(v) for k, v in old_snapshots.items()} == before["snapshots"]
        old_details = _raw("SELECT id, detail FROM audit_event")
        assert {k: _json(v) for k, v in old_details.items()} == before["details"]
        # Mail bodies as the previous revision wrote them: one plain zlib JSON pair.
        old_mails = _raw("SELECT id, body FROM outbound_mail")
        assert {
            k: tuple(json.loads(zlib.decompress(bytes(v)))) for k, v in old_mails.items()
        } == before["mails"]
        # The append-only triggers are back after the conversion.
        db.session.remove()
        with db.engine.connect() as conn:
            try:
                conn.execute(text("UPDATE audit_event SET actor = 'x'"))
                refused = False
            except Exception:
                refused = True
            conn.rollback()
        assert refused
    finally:
        db.session.remove()
        upgrade()

    assert _values() == before
    for table, column in TABLES:
        for data in _raw(f"SELECT id, {column} FROM {table}").values():
            assert bytes(data)[0] == 1
    details = _raw("SELECT id, detail FROM audit_event")
    assert {k: unpack_json("audit", v) for k, v in details.items()} == before["details"]
    assert all(bytes(b)[0] == 1 for b in _raw("SELECT id, body FROM outbound_mail").values())
    with db.engine.connect() as conn:
        try:
            conn.execute(text("UPDATE review_decision SET decided_by = 'x'"))
            refused = False
        except Exception:
            refused = True
        conn.rollback()
    assert refused
