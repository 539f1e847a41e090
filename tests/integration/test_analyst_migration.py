"""Moving running applications to a new version: who can move and why not, one action, data kept,
timers recomputed, the move in the audit trail, and the application carrying on afterwards."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from lxml import html as lxml_html
from sqlalchemy import select

from app.extensions import db
from app.models import Application, AuditEvent, HumanTask, ProcessInstance, ProcessVersion
from app.services.deploy import deploy_files, read_directory
from app.services.migration import candidates
from app.services.timers import fire_due_timers
from tests.helpers import complete_applicant_tasks, csrf_token, login, review, signup, staff_login

BPMN_DIR = Path(__file__).resolve().parents[2] / "bpmn"
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "bpmn"


def deploy_variant(*edits: tuple[str, str, str]) -> ProcessVersion:
    files = read_directory(BPMN_DIR)
    for name, old, new in edits:
        assert old in files[name], old
        files[name] = files[name].replace(old, new)
    files["application.bpmn"] += f"<!-- variant {uuid4()} -->\n"
    version, created = deploy_files(files, "test")
    assert created
    return version


def instance_of(application_id: int) -> ProcessInstance:
    db.session.expire_all()
    return db.session.scalar(
        select(ProcessInstance).where(ProcessInstance.application_id == application_id)
    )


def rows(page: str, table: int) -> dict[int, str]:
    tables = lxml_html.fromstring(page).xpath("//table")
    return {
        int(r.get("data-application")): r.text_content()
        for r in tables[table].xpath(".//tr[@data-application]")
    }


def migrate(analyst, version_id: int):
    url = f"/analyst/versions/{version_id}/migration"
    page = analyst.get(url).get_data(as_text=True)
    return analyst.post(url, data={"csrf_token": csrf_token(page), "submit": "1"})


def test_compatible_applications_move_with_their_data_and_recomputed_timers(
    app, smtp, analyst, clock_at
):
    first, second = app.test_client(), app.test_client()
    signup(first, smtp)
    login(second, *signup(second, smtp))
    complete_applicant_tasks(second, stop_at="entry_office")
    a, b = db.session.scalars(select(Application).order_by(Application.id)).all()
    old = instance_of(a.id).version_id
    due_before = instance_of(a.id).next_timer_at
    new = deploy_variant(
        ("application.bpmn", ">PT48H<", ">PT72H<"),
        ("detail_entry.bpmn", 'name="事業所に関する情報"', 'name="事業所に関する情報（所在地）"'),
    )

    page = analyst.get(f"/analyst/versions/{new.id}/migration").get_data(as_text=True)
    movable = rows(page, 0)
    assert set(movable) == {a.id, b.id}
    assert "2026年12月3日（木）10:00 → 2026年12月4日（金）10:00" in movable[a.id]

    response = migrate(analyst, new.id)
    assert response.status_code == 302
    assert instance_of(a.id).version_id == new.id and instance_of(b.id).version_id == new.id
    # The 36-hour reminder (unchanged) still comes first; the expiry moved (see the page above).
    assert instance_of(a.id).next_timer_at == due_before
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.application_id == a.id, AuditEvent.action == "version_migrated"
        )
    )
    assert (event.detail["from_version"], event.detail["to_version"]) == (old, new.id)
    assert event.detail["timers"][0]["new"] == "2026年12月4日（金）10:00"
    # Data kept: the screens already answered are still there, the inbox row too (new title).
    assert db.session.get(Application, b.id).answer("entry_contact")["reason"]
    ready = db.session.scalar(
        select(HumanTask).where(HumanTask.application_id == b.id, HumanTask.state == "ready")
    )
    assert ready.title == "事業所に関する情報（所在地）"
    # The application carries on on the new version to the end of the stage.
    assert complete_applicant_tasks(second)[0] == "entry_office"
    db.session.expire_all()
    assert db.session.get(Application, b.id).status == "submitted"
    # The recomputed deadline holds: not expired after 49 hours, expired after 73.
    clock_at.shift(timedelta(hours=49))
    fire_due_timers()
    db.session.expire_all()
    assert db.session.get(Application, a.id).status == "entry"
    clock_at.shift(timedelta(hours=24))
    fire_due_timers()
    db.session.expire_all()
    assert db.session.get(Application, a.id).status == "expired"


def test_applications_whose_screen_changed_stay_on_their_version(app, client, smtp, analyst):
    signup(client, smtp)
    application = db.session.scalar(select(Application))
    old = instance_of(application.id).version_id
    new = deploy_variant(
        ("detail_entry.bpmn", 'camunda:formKey="entry_guidance"', 'camunda:formKey="entry_contact"')
    )
    data = candidates(new.id)
    assert data["movable"] == []
    (row,) = data["blocked"]
    assert (
        "「申込ガイダンス」の画面（フォーム）が entry_guidance から entry_contact に変わります"
        in (row["plan"].blockers[0])
    )
    page = analyst.get(f"/analyst/versions/{new.id}/migration").get_data(as_text=True)
    assert "entry_guidance から entry_contact" in rows(page, 0)[application.id]
    response = migrate(analyst, new.id)
    assert response.status_code == 302
    assert instance_of(application.id).version_id == old
    flash = analyst.get(response.location).get_data(as_text=True)
    assert re.search(r"0 件の申込を版 \d+ に移しました（移せなかった申込 1 件）", flash)


def test_removed_steps_block_who_waits_there_and_vanish_from_others_history(
    app, client, smtp, analyst
):
    waiting = app.test_client()
    signup(waiting, smtp)
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    at_guidance, in_review = db.session.scalars(select(Application).order_by(Application.id)).all()
    detail = (BPMN_DIR / "detail_entry.bpmn").read_text(encoding="utf-8")
    shape = re.search(
        r'\s*<bpmndi:BPMNShape id="entry_guidance_di".*?</bpmndi:BPMNShape>', detail, re.S
    )
    edge = re.search(
        r'\s*<bpmndi:BPMNEdge id="flow_entry_guidance_entry_contact_di".*?</bpmndi:BPMNEdge>',
        detail,
        re.S,
    )
    task = re.search(r'\s*<bpmn:userTask id="entry_guidance".*?</bpmn:userTask>', detail, re.S)
    new = deploy_variant(
        ("detail_entry.bpmn", task.group(0), ""),
        ("detail_entry.bpmn", shape.group(0), ""),
        ("detail_entry.bpmn", edge.group(0), ""),
        ("detail_entry.bpmn", "<bpmn:flowNodeRef>entry_guidance</bpmn:flowNodeRef>", ""),
        (
            "detail_entry.bpmn",
            '<bpmn:sequenceFlow id="flow_entry_guidance_entry_contact" sourceRef="entry_guidance" targetRef="entry_contact" />',
            "",
        ),
        ("detail_entry.bpmn", 'targetRef="entry_guidance"', 'targetRef="entry_contact"'),
        (
            "detail_entry.bpmn",
            "<bpmn:incoming>flow_entry_guidance_entry_contact</bpmn:incoming>",
            "<bpmn:incoming>flow_entry_mode_entry_guidance</bpmn:incoming>",
        ),
    )
    data = candidates(new.id)
    assert [r["application"].id for r in data["movable"]] == [in_review.id]
    assert [r["application"].id for r in data["blocked"]] == [at_guidance.id]
    assert (
        "「申込ガイダンス」（entry_guidance）で待っていますが、新しい版にはありません"
        in (data["blocked"][0]["plan"].blockers[0])
    )
    migrate(analyst, new.id)
    assert instance_of(in_review.id).version_id == new.id
    assert instance_of(at_guidance.id).version_id != new.id
    # The moved application is reviewed and approved on the new version.
    reviewer = app.test_client()
    staff_login(reviewer)
    review(reviewer, "approve")
    db.session.expire_all()
    assert db.session.get(Application, in_review.id).status == "issued"
    page = analyst.get(f"/analyst/applications/{in_review.id}?process=detail_entry")
    assert page.status_code == 200
    assert 'data-element="entry_guidance"' not in page.get_data(as_text=True)


def test_due_timers_fire_on_the_old_version_before_a_move(app, client, smtp, clock_at):
    signup(client, smtp)
    application = db.session.scalar(select(Application))
    new = deploy_variant(("application.bpmn", ">PT48H<", ">PT72H<"))
    clock_at.move_to(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))  # 49 hours later, worker not run
    from app.services import Actor
    from app.services.migration import migrate_all

    result = migrate_all(
        new.id, Actor(kind="staff", label="staff:analyst", roles=frozenset({"analyst"}))
    )
    assert result["moved"] == []
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "expired"
    assert instance_of(application.id).version_id != new.id


def test_a_timer_added_to_a_running_task_starts_counting_at_the_move(
    app, client, smtp, analyst, clock_at
):
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    application = db.session.scalar(select(Application))
    files = read_directory(BPMN_DIR)
    del files["review.bpmn"]  # the Camunda Modeler file redefines process "review"
    files["camunda7_review_two_pools.bpmn"] = (
        FIXTURES / "camunda7_review_two_pools.bpmn"
    ).read_text(encoding="utf-8")
    files["application.bpmn"] += f"<!-- {uuid4()} -->\n"
    new, _ = deploy_files(files, "test")
    clock_at.shift(timedelta(hours=1))
    (row,) = candidates(new.id)["movable"]
    assert row["timers"] == [
        {
            "element": "Event_0reminder",
            "name": "回答期限（48時間）",
            "old": "",
            "new": "2026年12月3日（木）11:00",
        }
    ]
    migrate(analyst, new.id)
    instance = instance_of(application.id)
    assert instance.version_id == new.id
    assert instance.next_timer_at == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    # The reminder fires without interrupting the review, which then ends normally.
    clock_at.shift(timedelta(hours=48, minutes=1))
    assert fire_due_timers() == 1
    reviewer = app.test_client()
    staff_login(reviewer)
    review(reviewer, "reject", reason="テスト")
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "rejected"


def test_a_suspended_application_moves_without_firing_its_due_timers(app, client, smtp, clock_at):
    """migrate_all keeps a suspension: its overdue timer waits until it is resumed."""
    from app.services import Actor
    from app.services.instance_admin import resume, suspend
    from app.services.migration import migrate_all

    signup(client, smtp)
    application = db.session.scalar(select(Application))
    status = application.status
    supervisor = Actor(kind="staff", label="staff:supervisor", roles=frozenset({"supervisor"}))
    suspend(supervisor, application.id, "本人確認中")
    new = deploy_variant(("application.bpmn", ">PT48H<", ">PT72H<"))
    clock_at.move_to(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))  # past the 48 hours
    analyst = Actor(kind="staff", label="staff:analyst", roles=frozenset({"analyst"}))
    assert migrate_all(new.id, analyst)["moved"] == [application.id]
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == status
    instance = instance_of(application.id)
    assert instance.version_id == new.id and instance.suspended_at is not None
    fired = select(AuditEvent).where(AuditEvent.action == "timer_fired")
    assert db.session.scalars(fired).all() == []
    assert fire_due_timers() == 0  # still suspended
    resume(supervisor, application.id, "確認済み")
    clock_at.move_to(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))  # past 72 hours from the start
    fire_due_timers()
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "expired"
