"""The analyst's studio over HTTP: versions, validation and deploy from the browser, live
diagrams with overlays, the application list and page, the applicant's progress, the CLI."""

import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from flask import render_template_string
from lxml import html as lxml_html
from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, AuditEvent, ProcessInstance, ProcessVersion
from app.services.applicant_progress import applicant_progress, applicant_progress_svg
from tests.helpers import complete_applicant_tasks, csrf_token, login, review, signup, staff_login

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"


def latest_version() -> ProcessVersion:
    return db.session.scalar(select(ProcessVersion).order_by(ProcessVersion.id.desc()).limit(1))


def element(page: str, element_id: str):
    """The SVG group of one diagram element in an HTML page."""
    found = lxml_html.fromstring(page).xpath(f'//*[@data-element="{element_id}"]')
    assert found, f"{element_id} not drawn"
    return found[0]


def upload(client, files: dict[str, bytes], button: str, alone: bool = False):
    page = client.get("/analyst/upload").get_data(as_text=True)
    data = {
        "files": [(BytesIO(body), name) for name, body in files.items()],
        "csrf_token": csrf_token(page),
        button: "1",
    }
    if alone:
        data["alone"] = "y"
    return client.post("/analyst/upload", data=data, content_type="multipart/form-data")


def test_only_analysts_use_the_studio(app, client):
    assert client.get("/analyst/").status_code == 302
    reviewer = app.test_client()
    staff_login(reviewer)
    assert reviewer.get("/analyst/").status_code == 403
    assert reviewer.get("/analyst/applications").status_code == 403
    analyst = app.test_client()
    staff_login(analyst, "analyst", "analyst-pass")
    assert analyst.get("/analyst/").status_code == 200


def test_versions_list_who_when_hash_and_running_applications(app, client, smtp, analyst):
    signup(client, smtp)
    version = latest_version()
    page = analyst.get("/analyst/").get_data(as_text=True)
    row = lxml_html.fromstring(page).xpath(f'//tr[@data-version="{version.id}"]')[0]
    text = row.text_content()
    assert version.content_hash[:12] in text and version.deployed_by in text and "最新" in text
    cells = row.xpath("td")
    assert cells[3].text_content().strip() == "1"  # running on it
    assert cells[4].text_content().strip() == "1"  # all applications ever started on it
    assert "application.bpmn" in text and "審査" in text


def test_versions_list_counts_ended_applications_in_the_total_only(app, client, smtp, clock_at):
    from app.services.timers import fire_due_timers

    signup(client, smtp)  # expires below: ended, no longer running
    clock_at.shift(timedelta(hours=47))
    signup(app.test_client(), smtp)  # still running after the first one's expiry
    clock_at.shift(timedelta(hours=2))
    assert fire_due_timers() == 1
    version = latest_version()
    analyst = app.test_client()
    staff_login(analyst, "analyst", "analyst-pass")  # signed in now: two days have passed
    page = analyst.get("/analyst/").get_data(as_text=True)
    cells = lxml_html.fromstring(page).xpath(f'//tr[@data-version="{version.id}"]/td')
    assert cells[3].text_content().strip() == "1"  # running
    assert cells[4].text_content().strip() == "2"  # started on it


def test_upload_reports_every_problem_with_file_line_and_element(app, analyst):
    before = db.session.scalar(select(func.count()).select_from(ProcessVersion))
    broken = (BPMN_DIR / "review.bpmn").read_text(encoding="utf-8")
    broken = broken.replace('name="reviewer"', 'name="審査担当者"').replace(
        ' camunda:formKey="review_decision"', ""
    )
    response = upload(analyst, {"review.bpmn": broken.encode()}, "deploy")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "配備できません：エラー 2 件" in page
    rows = {
        r.get("data-code"): r.text_content()
        for r in lxml_html.fromstring(page).xpath("//tr[@data-code]")
    }
    assert "review.bpmn:" in rows["lane"] and "Lane_reviewer" in rows["lane"]
    assert "レーン「審査担当者」に対応する役割がありません" in rows["lane"]
    assert "review_application" in rows["form_key"]
    assert db.session.scalar(select(func.count()).select_from(ProcessVersion)) == before


def test_uploaded_xml_is_parsed_safely(app, analyst):
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    page = upload(analyst, {"evil.bpmn": xxe, "../../etc/x.bpmn": b"<x/>"}, "check").get_data(
        as_text=True
    )
    assert "DOCTYPE・ENTITY 宣言は安全のため受け付けません" in page
    assert "root:" not in page
    assert "x.bpmn" in page  # the path part of a file name is dropped


def test_upload_needs_the_csrf_token(app, analyst):
    response = analyst.post(
        "/analyst/upload",
        data={"files": [(BytesIO(b"<x/>"), "a.bpmn")], "deploy": "1"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_a_camunda_modeler_file_is_validated_deployed_and_used(app, client, smtp, analyst):
    signup(client, smtp)
    old = latest_version()
    body = (FIXTURES / "camunda7_review_two_pools.bpmn").read_bytes()
    checked = upload(analyst, {"camunda7_review_two_pools.bpmn": body}, "check").get_data(
        as_text=True
    )
    assert "配備できます" in checked and "差し替え：review.bpmn" in checked
    response = upload(analyst, {"camunda7_review_two_pools.bpmn": body}, "deploy")
    assert response.status_code == 302
    new = latest_version()
    assert new.id != old.id and response.location.endswith(f"/analyst/versions/{new.id}")
    assert "review.bpmn" not in new.files and "camunda7_review_two_pools.bpmn" in new.files
    assert new.deployed_by == "staff:analyst" or new.deployed_by.startswith("staff")
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "version_deployed"))
    assert audit.detail["version"] == new.id
    # The running application keeps its version; the next one starts on the new one.
    signup(app.test_client(), smtp)
    versions = db.session.scalars(
        select(ProcessInstance.version_id).order_by(ProcessInstance.id)
    ).all()
    assert versions == [old.id, new.id]
    page = analyst.get(f"/analyst/versions/{new.id}?process=review").get_data(as_text=True)
    assert "お客様（申込者）" in page and element(page, "Event_0reminder") is not None


def test_version_diagram_counts_applications_on_each_element(app, smtp, analyst):
    for _ in range(2):
        signup(app.test_client(), smtp)
    version = latest_version()
    page = analyst.get(f"/analyst/versions/{version.id}").get_data(as_text=True)
    stage = element(page, "call_detail_entry")
    assert stage.xpath('.//*[@class="count"]')[0].text_content() == "2"
    assert stage.getparent().get("href").endswith("process=detail_entry")
    assert not element(page, "call_review").xpath('.//*[@class="count"]')
    inner = analyst.get(f"/analyst/versions/{version.id}?process=detail_entry").get_data(
        as_text=True
    )
    assert element(inner, "entry_guidance").xpath('.//*[@class="count"]')[0].text_content() == "2"


def test_application_page_shows_where_it_stands_its_data_and_history(app, client, smtp, analyst):
    login_id, password = signup(client, smtp)
    login(client, login_id, password)
    complete_applicant_tasks(client, stop_at="entry_office")
    application = db.session.scalar(select(Application))
    page = analyst.get(f"/analyst/applications/{application.id}").get_data(as_text=True)
    assert element(page, "call_signup").get("data-state") == "done"
    assert element(page, "call_detail_entry").get("data-state") == "active"
    assert element(page, "provisional_expiry").get("data-state") == "waiting"
    assert "期限 2026年12月3日（木）10:00" in page  # 48 hours after signup, Japan time
    assert element(page, "call_review").get("data-state") is None
    assert (
        "詳細情報の入力：事業所に関する情報（処理中）" in lxml_html.fromstring(page).text_content()
    )
    history = [r.get("data-action") for r in lxml_html.fromstring(page).xpath("//tr[@data-action]")]
    assert "task_completed" in history or "service_task" in history
    assert "ナックスシステム株式会社" in page
    inner = analyst.get(f"/analyst/applications/{application.id}?process=detail_entry")
    inner = inner.get_data(as_text=True)
    assert element(inner, "entry_guidance").get("data-state") == "done"
    assert element(inner, "entry_office").get("data-state") == "active"
    assert element(inner, "entry_billing").get("data-state") is None


def submitted(app, smtp) -> Application:
    client = app.test_client()
    login(client, *signup(client, smtp))
    complete_applicant_tasks(client)
    return db.session.scalars(select(Application).order_by(Application.id.desc())).first()


def listed(analyst, query: str) -> list[int]:
    page = analyst.get(f"/analyst/applications?{query}").get_data(as_text=True)
    return [
        int(r.get("data-application"))
        for r in lxml_html.fromstring(page).xpath("//tr[@data-application]")
    ]


def test_application_list_filters_by_status_stage_version_and_deadline(app, client, smtp, analyst):
    in_review = submitted(app, smtp)
    signup(client, smtp)
    in_entry = db.session.scalars(select(Application).order_by(Application.id.desc())).first()
    assert listed(analyst, "") == [in_entry.id, in_review.id]
    assert listed(analyst, "status=submitted") == [in_review.id]
    assert listed(analyst, "stage=call_review") == [in_review.id]
    assert listed(analyst, "stage=call_detail_entry") == [in_entry.id]
    version = in_review.instance.version_id
    assert listed(analyst, f"version={version}") == [in_entry.id, in_review.id]
    assert listed(analyst, f"version={version + 999}") == []
    # The totals without a filter or by version alone come from the per-version counts.
    for query, total in (("", 2), (f"version={version}", 2), (f"version={version + 999}", 0)):
        page = analyst.get(f"/analyst/applications?{query}").get_data(as_text=True)
        assert re.search(r"(\d+) 件", page).group(1) == str(total), query
    assert listed(analyst, "within=1") == []  # review due 12/2 end of day, expiry 12/3 10:00
    assert listed(analyst, "within=2") == [in_entry.id, in_review.id]
    page = analyst.get("/analyst/applications?within=abc").get_data(as_text=True)
    assert "2 件" in page  # an invalid number is ignored, not a server error


def test_applicant_sees_a_simplified_progress(app, smtp):
    application = submitted(app, smtp)
    steps = applicant_progress(application.id)
    assert steps[:4] == [
        ("仮アカウント申込", "done"),
        ("詳細情報の入力", "done"),
        ("審査", "active"),
        ("ID払出し", ""),
    ]
    assert [label for label, _state in steps][-1] == "利用開始"
    snippet = render_template_string(
        '{% include "analyst/_progress.html" %}',
        progress_svg=applicant_progress_svg(application.id),
    )
    assert "手続きの進み具合" in snippet and 'data-state="active"' in snippet
    assert "<li>審査（現在）</li>" in snippet
    assert applicant_progress_svg(987654) == ""


def test_cli_validates_deploys_and_renders(app, runner, tmp_path):
    files = [str(p) for p in sorted(BPMN_DIR.glob("*.bpmn"))]
    result = runner.invoke(args=["bpmn", "validate", *files])
    assert result.exit_code == 0 and "OK: deployable" in result.output
    broken = tmp_path / "review.bpmn"
    broken.write_text(
        (BPMN_DIR / "review.bpmn")
        .read_text(encoding="utf-8")
        .replace('camunda:formKey="review_decision"', 'camunda:formKey="review_x"'),
        encoding="utf-8",
    )
    result = runner.invoke(args=["bpmn", "validate", str(broken)])
    assert result.exit_code == 1
    assert re.search(
        r"review\.bpmn:\d+ \[review_application\]: フォームキー 'review_x'", result.output
    )
    result = runner.invoke(args=["bpmn", "deploy", str(broken)])
    assert result.exit_code == 1 and "not deployed" in result.output
    result = runner.invoke(args=["bpmn", "deploy"])
    assert result.exit_code == 0 and "unchanged" in result.output
    out = tmp_path / "application.svg"
    result = runner.invoke(args=["bpmn", "render", files[0], "-o", str(out)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<?xml")
    assert 'data-element="call_review"' in out.read_text(encoding="utf-8")
    out = tmp_path / "review.svg"
    result = runner.invoke(args=["bpmn", "render", *files, "--process", "review", "-o", str(out)])
    assert result.exit_code == 0 and 'data-element="review_application"' in out.read_text()


def test_diagram_fits_the_width_on_request(app, analyst):
    version = latest_version()
    page = analyst.get(f"/analyst/versions/{version.id}?fit=1").get_data(as_text=True)
    assert 'class="diagram fit"' in page and "実寸で表示" in page
    page = analyst.get(f"/analyst/versions/{version.id}").get_data(as_text=True)
    assert 'class="diagram"' in page and "全体を幅に合わせて表示" in page


def test_progress_of_an_expired_application_ends_with_its_outcome(app, client, smtp, clock_at):
    from app.services.timers import fire_due_timers

    signup(client, smtp)
    application = db.session.scalar(select(Application))
    clock_at.shift(timedelta(hours=49))
    fire_due_timers()
    db.session.expire_all()
    assert applicant_progress(application.id) == [
        ("仮アカウント申込", "done"),
        ("仮アカウント有効期限切れ", "cancelled"),
    ]


def test_progress_of_a_returned_application_shows_the_correction(app, smtp):
    application = submitted(app, smtp)
    reviewer = app.test_client()
    staff_login(reviewer)
    review(reviewer, "return", comment="事業所名をご確認ください。")
    db.session.expire_all()
    steps = applicant_progress(application.id)
    assert steps[:4] == [
        ("仮アカウント申込", "done"),
        ("詳細情報の入力", "done"),
        ("審査", "done"),
        ("申込内容の修正", "active"),
    ]
