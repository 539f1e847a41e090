"""Writes made with prebuilt Core statements keep the ORM session truthful: rows it holds read
the new values, rows it has not written yet are written first, and nothing else is touched."""

from sqlalchemy import select

from app import mailer
from app.extensions import db
from app.models import Application, IssuedCredential, OutboundMail, ProvisionalAccount
from app.services import actions
from app.services.codes import release_unused_codes


def _application_with_login(
    status: str = "entry", login_id: str = "C000001"
) -> tuple[Application, ProvisionalAccount]:
    application = Application(status=status, company_name="コア書込株式会社")
    account = ProvisionalAccount(login_id=login_id, password_hash="x", application=application)
    db.session.add_all([application, account])
    db.session.commit()
    return application, account


def test_disabling_a_login_is_seen_by_the_account_row_the_session_holds(app):
    application, account = _application_with_login()
    _other, other_account = _application_with_login(login_id="C000002")
    assert account.disabled_at is None and other_account.disabled_at is None  # loaded

    actions._disable_login(application, "expired")

    assert account.disabled_at is not None and account.disabled_reason == "expired"
    assert other_account.disabled_at is None  # another application's login is untouched
    # A login disabled earlier keeps its reason.
    actions._disable_login(application, "start_of_use")
    assert account.disabled_reason == "expired"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ProvisionalAccount, account.id).disabled_reason == "expired"
    assert db.session.get(ProvisionalAccount, other_account.id).disabled_at is None


def test_releasing_codes_writes_unsaved_credentials_first_and_updates_held_rows(app):
    application, _account = _application_with_login(status="cancelled")
    kept = IssuedCredential(kind="user", office_code="NAC901", user_code="1ANAC", identifier="A")
    office = IssuedCredential(kind="office", office_code="NAC901")
    application.credentials.extend([kept, office])
    db.session.commit()
    assert kept.released_at is None  # loaded in the session
    # Added in this transaction and not flushed yet: the UPDATE must see it too.
    pending = IssuedCredential(
        kind="user", office_code="NAC901", user_code="1BNAC", identifier="B", password_encrypted="e"
    )
    application.credentials.append(pending)

    assert release_unused_codes(application) == 2

    assert kept.released_at is not None and pending.released_at is not None
    assert pending.password_encrypted is None
    assert office.released_at is None  # the 事業所コード is never released
    assert release_unused_codes(application) == 0  # once
    db.session.commit()
    released = db.session.scalars(
        select(IssuedCredential.user_code).where(IssuedCredential.released_at.is_not(None))
    ).all()
    assert sorted(released) == ["1ANAC", "1BNAC"]


def test_a_queued_mail_is_a_pending_outbox_row_with_both_parts(app):
    application, _account = _application_with_login()
    queued = mailer.queue_mail(
        "returned",
        ["b@example.jp", "a@example.jp", "a@example.jp", ""],
        {"application": application},
        application.id,
    )
    db.session.commit()
    row = db.session.get(OutboundMail, queued.id)
    assert row.status == "pending" and row.attempts == 0 and row.next_attempt_at is not None
    assert row.recipients == ["a@example.jp", "b@example.jp"] == queued.recipients
    assert row.application_id == application.id and row.template == "returned"
    assert row.subject == mailer.SUBJECTS["returned"]
    assert row.body_text == queued.body_text and "修正" in row.body_text
    assert row.body_html == queued.body_html and "<" in row.body_html


def test_a_status_change_alone_is_written_at_once_and_held_as_written(app, clock_at):
    from datetime import timedelta

    from app import clock
    from app.services.status_write import write_status

    application, _account = _application_with_login(status="entry")
    other, _ = _application_with_login(status="entry", login_id="C000002")
    before = application.updated_at
    clock_at.shift(timedelta(hours=1))

    write_status(application, "expired")

    # Written by the statement (no flush pending), the loaded row holding the new values.
    assert not db.session.dirty
    assert application.status == "expired" and application.updated_at == clock.now() != before
    stored = dict(db.session.execute(select(Application.id, Application.status)).all())
    assert stored == {application.id: "expired", other.id: "entry"}
    db.session.rollback()  # one transaction with the caller's other writes
    assert db.session.get(Application, application.id).status == "entry"


def test_a_status_change_with_other_changes_pending_goes_with_them(app):
    from app.services.status_write import write_status

    application, _account = _application_with_login(status="entry")
    assert application.status == "entry"  # loaded, as a unit's locked read loads it
    application.company_name = "変更後株式会社"  # pending, not flushed

    write_status(application, "submitted")

    assert application in db.session.dirty  # one ORM UPDATE will carry both
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Application, application.id)
    assert (row.status, row.company_name) == ("submitted", "変更後株式会社")
