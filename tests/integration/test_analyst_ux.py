"""The analyst's path without a stumble: each role's own home after login, names instead of
internal keys, Japanese parser messages and clock text, and choosing which applications move."""

from uuid import uuid4

from lxml import html as lxml_html
from sqlalchemy import select

from app.extensions import db
from app.models import Application, AuditEvent, ProcessInstance, StaffUser
from app.services.auth import hash_password
from app.services.deploy import deploy_files, read_directory
from tests.helpers import complete_applicant_tasks, csrf_token, login, signup, staff_login
from tests.integration.test_analyst import BPMN_DIR, latest_version, upload


def add_staff(login_name: str, roles: str, name: str = "試験 職員") -> None:
    db.session.add(
        StaffUser(
            login=login_name,
            name=name,
            password_hash=hash_password(f"{login_name}-pass"),
            roles=roles,
            email=f"{login_name}@naccs-center.example.jp",
        )
    )
    db.session.commit()


def sign_in(client, login_name: str, next_url: str | None = None):
    url = "/staff/login" + (f"?next={next_url}" if next_url else "")
    page = client.get(url).get_data(as_text=True)
    return client.post(
        url,
        data={
            "login": login_name,
            "password": f"{login_name}-pass",
            "csrf_token": csrf_token(page),
        },
    )


# --- 14: homes, names, Japanese --------------------------------------------------------------


def test_each_role_lands_on_its_own_home_after_login(app):
    from app.services.seed import seed_staff

    seed_staff()
    add_staff("onlyadmin", "administrator")
    add_staff("onlyoperator", "operator")
    homes = {
        ("analyst", "analyst-pass"): "/analyst/",
        ("reviewer", "reviewer-pass"): "/staff/",
        ("supervisor", "supervisor-pass"): "/staff/",
    }
    for (name, password), home in homes.items():
        response = staff_login(app.test_client(), name, password)
        assert response.location.endswith(home), (name, response.location)
    for name, home in (("onlyadmin", "/admin/"), ("onlyoperator", "/staff/")):
        response = sign_in(app.test_client(), name)
        assert response.status_code == 302 and response.location.endswith(home), name
    # The analyst's landing page is the studio, never the "no permission" page.
    client = app.test_client()
    staff_login(client, "analyst", "analyst-pass")
    page = client.get("/analyst/").get_data(as_text=True)
    assert "権限がありません" not in page and "業務フロー" in page


def test_a_safe_next_still_wins_and_an_unsafe_one_falls_back_to_the_home(app):
    add_staff("analyst2", "analyst")
    response = sign_in(app.test_client(), "analyst2", "/analyst/applications")
    assert response.location.endswith("/analyst/applications")
    response = sign_in(app.test_client(), "analyst2", "//evil.example/x")
    assert response.location.endswith("/analyst/") and "evil" not in response.location


def test_deployers_are_shown_by_name_and_the_cli_as_command_line(app, analyst):
    files = read_directory(BPMN_DIR)
    files["application.bpmn"] += f"<!-- {uuid4()} -->\n"
    by_cli, _ = deploy_files(files, "cli")
    files["application.bpmn"] += f"<!-- {uuid4()} -->\n"
    by_analyst, _ = deploy_files(files, "staff:analyst")
    db.session.commit()
    page = analyst.get("/analyst/").get_data(as_text=True)
    tree = lxml_html.fromstring(page)

    def deployer(version_id: int) -> str:
        (row,) = tree.xpath(f'//tr[@data-version="{version_id}"]')
        (cell,) = row.xpath('td[starts-with(@title, "記録上の配備者")]')
        return cell.text_content().strip()

    assert deployer(by_cli.id) == "コマンドライン"
    assert deployer(by_analyst.id) == "分析 次郎"
    visible = tree.text_content()
    assert "staff:analyst" not in visible and "\ncli\n" not in visible
    version_page = analyst.get(f"/analyst/versions/{by_analyst.id}").get_data(as_text=True)
    meta = lxml_html.fromstring(version_page).xpath('//p[@class="meta"]')[0].text_content()
    assert "分析 次郎" in meta and "staff:analyst" not in meta


def test_lanes_show_the_japanese_role_name_only(app, analyst):
    version = latest_version()
    page = analyst.get(f"/analyst/versions/{version.id}?process=review").get_data(as_text=True)
    labels = [
        t.text_content()
        for t in lxml_html.fromstring(page).xpath('//*[contains(@class, "lane-g")]//text')
    ]
    assert "審査担当" in labels, labels
    assert not any("(" in label for label in labels), labels
    assert 'name="reviewer"' in version.files["review.bpmn"]  # the file keeps the role key


def test_xml_syntax_errors_are_reported_in_japanese_with_line_and_column(app, analyst):
    broken = b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="x">\n<a>\n</bpmn:definitions>'
    page = upload(analyst, {"broken.bpmn": broken}, "check").get_data(as_text=True)
    row = lxml_html.fromstring(page).xpath('//tr[@data-code="xml"]')[0].text_content()
    assert "開始タグ <a>（3 行目）と終了タグ </bpmn:definitions> が対応していません" in row
    assert "4 行目" in row and "文字目" in row
    # the parser's own words only as the secondary detail
    assert row.index("原文") < row.index("Opening and ending tag mismatch")


def test_the_development_clock_says_its_offset_in_japanese(app):
    client = app.test_client()
    page = client.get("/dev/clock").get_data(as_text=True)
    assert "なし（実時刻）" in page and "1日 進める" in page
    client.post("/dev/clock", data={"csrf_token": csrf_token(page), "step": "1d"})
    page = client.get("/dev/clock").get_data(as_text=True)
    assert "1日 進んでいます" in page and "day" not in page and "0:00:00" not in page


# --- 15: choosing which applications move -----------------------------------------------------


def three_applications(app, smtp) -> list[Application]:
    """Two applications waiting for the applicant's entry, one submitted for review."""
    for _ in range(2):
        signup(app.test_client(), smtp)
    third = app.test_client()
    login(third, *signup(third, smtp))
    complete_applicant_tasks(third)
    return list(db.session.scalars(select(Application).order_by(Application.id)))


def new_version():
    files = read_directory(BPMN_DIR)
    files["detail_entry.bpmn"] = files["detail_entry.bpmn"].replace(
        'name="事業所に関する情報"', 'name="事業所に関する情報（所在地）"'
    )
    files["application.bpmn"] += f"<!-- {uuid4()} -->\n"
    version, created = deploy_files(files, "test")
    assert created
    db.session.commit()
    return version


def versions_of(applications) -> list[int]:
    db.session.expire_all()
    return [
        db.session.scalar(
            select(ProcessInstance.version_id).where(ProcessInstance.application_id == a.id)
        )
        for a in applications
    ]


def post_migration(analyst, version_id: int, **fields):
    url = f"/analyst/versions/{version_id}/migration"
    page = analyst.get(url).get_data(as_text=True)
    return analyst.post(url, data={"csrf_token": csrf_token(page), "submit": "1", **fields})


def test_the_migration_page_offers_all_by_status_and_one_by_one(app, smtp, analyst):
    applications = three_applications(app, smtp)
    target = new_version()
    page = analyst.get(f"/analyst/versions/{target.id}/migration").get_data(as_text=True)
    tree = lxml_html.fromstring(page)
    scopes = {i.get("value") for i in tree.xpath('//input[@name="scope"]')}
    assert scopes == {"all", "status", "chosen"}
    boxes = {int(i.get("value")) for i in tree.xpath('//input[@name="application"]')}
    assert boxes == {a.id for a in applications}
    statuses = {o.get("value") for o in tree.xpath('//select[@name="status"]/option')}
    assert statuses == {a.status for a in applications} and len(statuses) == 2


def test_only_the_applications_ticked_one_by_one_move(app, smtp, analyst):
    first, second, third = three_applications(app, smtp)
    before = versions_of([first, second, third])
    target = new_version()
    response = post_migration(analyst, target.id, scope="chosen", application=[str(second.id)])
    assert response.status_code == 302
    assert versions_of([first, second, third]) == [before[0], target.id, before[2]]
    page = analyst.get(response.location).get_data(as_text=True)
    assert "1 件の申込を版" in page
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "version_migrated")
    ).all()
    assert [(e.application_id, e.detail["to_version"]) for e in events] == [(second.id, target.id)]


def test_applications_move_by_status(app, smtp, analyst):
    first, second, third = three_applications(app, smtp)
    before = versions_of([first, second, third])
    assert first.status == second.status != third.status
    target = new_version()
    response = post_migration(analyst, target.id, scope="status", status=third.status)
    assert response.status_code == 302
    assert versions_of([first, second, third]) == [before[0], before[1], target.id]


def test_nothing_ticked_moves_nothing_and_says_so(app, smtp, analyst):
    applications = three_applications(app, smtp)
    before = versions_of(applications)
    target = new_version()
    response = post_migration(analyst, target.id, scope="chosen")
    page = analyst.get(response.location).get_data(as_text=True)
    assert "移す申込を1件以上選んでください" in page
    assert versions_of(applications) == before
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "version_migrated")
    ).all()


def test_all_still_moves_every_movable_application(app, smtp, analyst):
    applications = three_applications(app, smtp)
    target = new_version()
    response = post_migration(analyst, target.id, scope="all")
    assert response.status_code == 302
    assert versions_of(applications) == [target.id] * 3


# --- 16: a file with several diagrams gets a picker ---------------------------------------------


def test_a_file_with_several_diagrams_offers_a_picker_on_the_version_page(app, analyst):
    files = read_directory(BPMN_DIR)
    fixture = BPMN_DIR.parent / "tests" / "fixtures" / "bpmn" / "bpmnio_fidelity.bpmn"
    # the engine cannot load a business rule task without a decision: drawn as a plain task here
    text = fixture.read_text(encoding="utf-8").replace("bpmn:businessRuleTask", "bpmn:task")
    files["bpmnio_fidelity.bpmn"] = text
    version, _ = deploy_files(files, "test")
    db.session.commit()
    url = f"/analyst/versions/{version.id}?process=fidelity"
    tree = lxml_html.fromstring(analyst.get(url).get_data(as_text=True))
    picks = tree.xpath('//nav[contains(@class, "diagram-picker")]//a')
    assert [a.get("data-diagram") for a in picks] == ["BPMNDiagram_main", "BPMNDiagram_sub"]
    assert picks[0].get("aria-current") == "page"
    assert tree.xpath('//*[@data-element="t_send"]')
    page = analyst.get(picks[1].get("href")).get_data(as_text=True)
    tree = lxml_html.fromstring(page)
    assert tree.xpath('//*[@data-element="inner_task"]') and not tree.xpath(
        '//*[@data-element="t_send"]'
    )
    # a diagram id that does not exist is ignored, never an error
    assert analyst.get(url + "&diagram=nope").status_code == 200
    # the repository's files have one diagram each: no picker
    page = analyst.get(f"/analyst/versions/{version.id}").get_data(as_text=True)
    assert "diagram-picker" not in page


def test_the_application_page_offers_the_same_picker(app, smtp, analyst):
    files = read_directory(BPMN_DIR)
    fixture = BPMN_DIR.parent / "tests" / "fixtures" / "bpmn" / "bpmnio_fidelity.bpmn"
    text = fixture.read_text(encoding="utf-8").replace("bpmn:businessRuleTask", "bpmn:task")
    files["bpmnio_fidelity.bpmn"] = text
    deploy_files(files, "test")
    db.session.commit()
    signup(app.test_client(), smtp)
    application = db.session.scalar(select(Application))
    base = f"/analyst/applications/{application.id}?process=fidelity"
    tree = lxml_html.fromstring(analyst.get(base).get_data(as_text=True))
    picks = tree.xpath('//nav[contains(@class, "diagram-picker")]//a')
    assert [a.get("data-diagram") for a in picks] == ["BPMNDiagram_main", "BPMNDiagram_sub"]
    page = analyst.get(picks[1].get("href")).get_data(as_text=True)
    assert 'data-element="inner_task"' in page
