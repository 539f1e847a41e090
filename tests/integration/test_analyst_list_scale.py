"""The analyst application list pages and counts in SQL: the real total, the oldest reachable."""

import re

from lxml import html as lxml_html
from sqlalchemy import insert, select

from app.extensions import db
from app.models import Application, ProcessInstance
from tests.helpers import signup

CLONES = 2_050  # more than the 2,000 newest rows the list used to page through in Python


def _ids(page: str) -> list[int]:
    return [
        int(r.get("data-application"))
        for r in lxml_html.fromstring(page).xpath("//tr[@data-application]")
    ]


def _total(page: str) -> int:
    return int(re.search(r"(\d+) 件", page).group(1))


def _clone_applications(real: Application) -> None:
    """Copies of a real application in detail entry, with its workflow state, inserted in bulk."""
    instance = real.instance
    first = db.session.scalar(select(Application.id).order_by(Application.id.desc())) + 1
    ids = range(first, first + CLONES)
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
                "positions": instance.positions,  # where it stands, as every save writes it
            }
            for i in ids
        ],
    )
    db.session.commit()


def test_the_list_counts_every_application_and_reaches_the_oldest(app, client, smtp, analyst):
    signup(client, smtp)
    oldest = db.session.scalars(select(Application)).one()
    _clone_applications(oldest)
    newest = oldest.id + CLONES
    everyone = CLONES + 1
    last_page = -(-everyone // 50)

    first = analyst.get("/analyst/applications").get_data(as_text=True)
    assert _total(first) == everyone
    assert _ids(first) == list(range(newest, newest - 50, -1))
    assert f"1 / {last_page}" in first

    last = analyst.get(f"/analyst/applications?page={last_page}").get_data(as_text=True)
    assert _total(last) == everyone
    assert _ids(last)[-1] == oldest.id and len(_ids(last)) == everyone - 50 * (last_page - 1)

    # By stage (the positions column): the same real total, the oldest on the last page.
    by_stage = analyst.get(f"/analyst/applications?stage=call_detail_entry&page={last_page}")
    page = by_stage.get_data(as_text=True)
    assert by_stage.status_code == 200
    assert _total(page) == everyone and _ids(page)[-1] == oldest.id
    none = analyst.get("/analyst/applications?stage=call_review").get_data(as_text=True)
    assert _total(none) == 0 and _ids(none) == []
