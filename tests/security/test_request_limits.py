"""Request limits: bodies, CSV imports, and long error lists kept out of the cookie (finding 10)."""

import re
from datetime import date
from io import BytesIO

from lxml import html as lxml_html
from sqlalchemy import delete, select

from app.extensions import db
from app.models import Office, ScheduleEntry
from tests.helpers import csrf_token, staff_login

MB = 1024 * 1024


class CountingStream:
    """A request body of `size` bytes that records how much of it the server read."""

    def __init__(self, size: int):
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size + offset if whence == 2 else offset
        return self.position

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.position
        n = left if n is None or n < 0 else min(n, left)
        self.position += n
        self.read_bytes += n
        return b"a" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


def _admin(app):
    client = app.test_client()
    staff_login(client, "admin", "admin-pass")
    return client


def test_a_huge_anonymous_post_is_refused_before_it_is_read(app, client):
    for path in ("/login", "/signup", "/staff/login"):
        stream = CountingStream(100 * MB)
        response = client.post(
            path,
            input_stream=stream,
            content_length=stream.size,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 413, path
        page = response.get_data(as_text=True)
        assert "送信データが大きすぎます" in page and "上限（6 MB）" in page
        assert stream.read_bytes == 0, f"{path} read {stream.read_bytes} bytes"


def test_a_body_under_the_limit_is_accepted(app, client):
    response = client.post("/login", data={"login_id": "x" * (5 * MB)})
    assert response.status_code != 413


def test_the_analyst_upload_allows_larger_bodies_and_names_the_file(app, analyst):
    page = analyst.get("/analyst/upload").get_data(as_text=True)
    response = analyst.post(
        "/analyst/upload",
        data={
            "files": [(BytesIO(b" " * (7 * MB)), "big.bpmn")],
            "csrf_token": csrf_token(page),
            "check": "1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200  # over the 6 MB of other pages, under the studio's 20 MB
    assert "big.bpmn" in response.get_data(as_text=True)
    assert "ファイルが大きすぎます（上限 5 MB）" in response.get_data(as_text=True)


def _import(client, path: str, page_path: str, raw: bytes, name: str = "data.csv"):
    page = client.get(page_path).get_data(as_text=True)
    return client.post(
        path,
        data={"csrf_token": csrf_token(page), "file": (BytesIO(raw), name)},
        content_type="multipart/form-data",
    )


def _field_errors(page: str) -> list[str]:
    return [
        li.text_content() for li in lxml_html.fromstring(page).xpath('//*[@id="file-error"]/li')
    ]


def test_a_csv_over_the_size_limit_is_refused_beside_the_field(app):
    client = _admin(app)
    raw = b"2031-03-17,2031-03-24,2031-04-01\n" * (2 * MB // 33 + 10)
    assert len(raw) > 2 * MB
    response = _import(client, "/admin/schedule/import", "/admin/schedule", raw)
    assert response.status_code == 422
    errors = _field_errors(response.get_data(as_text=True))
    assert errors == [
        "CSVファイルが大きすぎます（上限 2 MB）。ファイルを分けて取り込んでください。"
    ]
    assert not db.session.scalars(
        select(ScheduleEntry).where(ScheduleEntry.start_date == date(2031, 4, 1))
    ).all()


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else ""


def test_two_thousand_csv_errors_stay_out_of_the_cookie(app):
    client = _admin(app)
    raw = "".join(f"2031-13-{n % 28 + 1:02d},x,y\n" for n in range(2000)).encode()
    response = _import(client, "/admin/schedule/import", "/admin/schedule", raw)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = _field_errors(page)
    assert len(errors) == 21
    assert errors[0] == "1行目：日付はYYYY-MM-DDの形式で入力してください。"
    assert errors[-1].startswith("ほかに 1980件の誤りがあります（全2000件のうち最初の20件")
    assert "取り込む" in page and "日付を追加する" in page  # the whole page, not a bare error
    assert len(_session_cookie(client)) < 1000  # nothing flashed into the signed cookie
    follow = client.get("/admin/schedule").get_data(as_text=True)
    assert "1行目：" not in follow  # nothing waits in the session for the next page


def test_office_csv_errors_are_listed_beside_the_field(app):
    client = _admin(app)
    raw = "".join(f"bad{n},\n" for n in range(2000)).encode()
    response = _import(client, "/admin/offices/import", "/admin/offices", raw)
    assert response.status_code == 422
    errors = _field_errors(response.get_data(as_text=True))
    assert len(errors) == 21 and re.match(r"1件目：事業所コード", errors[0])
    assert "全2000件" in errors[-1] or "全1999件" in errors[-1]  # the first line may be a header
    assert len(_session_cookie(client)) < 1000
    assert db.session.get(Office, "BAD001") is None


def test_a_good_csv_still_imports_and_says_so(app):
    client = _admin(app)
    raw = b"2031-03-17,2031-03-24,2031-04-01\n"
    try:
        response = _import(client, "/admin/schedule/import", "/admin/schedule", raw)
        assert response.status_code == 302
        assert "追加 1件" in client.get(response.location).get_data(as_text=True)
    finally:  # schedule_entry survives between tests (conftest KEEP_TABLES): leave none behind
        db.session.execute(
            delete(ScheduleEntry).where(ScheduleEntry.start_date == date(2031, 4, 1))
        )
        db.session.commit()


def test_the_cli_imports_refuse_an_over_size_csv_without_a_traceback(app, runner, tmp_path):
    big = tmp_path / "big.csv"
    line = b"2030-03-15,2030-03-22,2030-04-01\n"
    big.write_bytes(line * (app.config["CSV_MAX_BYTES"] // len(line) + 1))
    for command in ("schedule", "office"):
        result = runner.invoke(args=["admin", command, "import", str(big)])
        assert result.exit_code == 1, result.output
        assert "CSVファイルが大きすぎます" in result.output
        assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert (
        db.session.scalar(select(ScheduleEntry).where(ScheduleEntry.start_date == date(2030, 4, 1)))
        is None
    )
