"""Finding 7: every `next` goes through one check; nothing sends a browser to another host."""

import pytest

from app.web.redirects import is_safe_path, safe_next
from tests.helpers import csrf_token, staff_login

NASTY = [
    "//evil.example",
    "///evil.example",
    "/\t/evil.example",  # browsers drop the tab: //evil.example
    "/\n/evil.example",
    "/\r\n/evil.example",
    "//\t/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/%2F%2Fevil.example",  # decoded once more by someone: //evil.example
    "/%2f/evil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    " /staff/",
    "/staff/ ",
    "/\u3000/evil.example",
    "/\u202e/evil.example",
    "/\u200b/evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "",
    None,
    "/" + "x" * 3000,
]
GOOD = [
    "/staff/",
    "/staff/applications/12",
    "/staff/?q=%E3%83%8A%E3%83%83%E3%82%AF%E3%82%B9&page=2",
    "/staff/?q=a+b&scope=mine",
    "/staff/?q=a%20b",
    "/staff/tasks/0f6d3c1e-0000-4000-8000-000000000000#notes",
    "/admin/",
]


@pytest.mark.parametrize("target", NASTY)
def test_nasty_targets_fall_back(target):
    assert not is_safe_path(target)
    assert safe_next(target, "/staff/") == "/staff/"


@pytest.mark.parametrize("target", GOOD)
def test_paths_of_this_site_are_kept(target):
    assert safe_next(target, "/staff/") == target


def _staff_login(client, query: str):
    page = client.get("/staff/login").get_data(as_text=True)
    return client.post(
        f"/staff/login?{query}",
        data={"login": "reviewer", "password": "reviewer-pass", "csrf_token": csrf_token(page)},
    )


@pytest.mark.parametrize(
    "query",
    [
        "next=/%09/evil.example",
        "next=//evil.example",
        "next=/%5C/evil.example",
        "next=https://evil.example/",
        "next=/%0D%0A/evil.example",
    ],
)
def test_staff_login_never_redirects_off_site(app, client, query):
    response = _staff_login(client, query)
    assert response.status_code == 302
    assert response.location in ("/staff/", "http://localhost/staff/")
    assert "evil" not in response.location


def test_staff_login_keeps_a_path_of_this_site(app, client):
    response = _staff_login(client, "next=/staff/applications/1")
    assert response.location.endswith("/staff/applications/1")


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example", "/\\evil.example"])
def test_small_staff_actions_return_only_to_this_site(app, client, target):
    _staff_login(client, "")
    page = client.get("/staff/").get_data(as_text=True)
    response = client.post(
        "/staff/human-tasks/999999/claim", data={"csrf_token": csrf_token(page), "next": target}
    )
    assert response.status_code == 302
    assert "evil" not in response.location and response.location.endswith("/staff/")


@pytest.mark.parametrize(
    "target", ["/staff/incidents\r\nX-Evil: 1", "/staff/\t/evil.example", "//evil.example"]
)
def test_operations_actions_go_through_the_same_check(app, client, target):
    """The incident and mail actions once had their own check: a newline gave a 500."""
    staff_login(client, "supervisor", "supervisor-pass")
    page = client.get("/staff/incidents").get_data(as_text=True)
    response = client.post(
        "/staff/incidents/999999/retry", data={"csrf_token": csrf_token(page), "next": target}
    )
    assert response.status_code == 302 and "X-Evil" not in response.headers
    assert response.location.endswith("/staff/incidents")
