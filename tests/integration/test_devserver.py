"""`make run` (app/devserver.py): mail links on the server's own URL, a taken mail port said
and avoided, the mail catcher up before the worker delivers anything (issue 11, item 9)."""

import socket
import subprocess
import sys
import time

import pytest

from app import devserver
from tests.helpers import signup


@pytest.fixture
def taken_port():
    """A port something listens on (as another mail catcher would)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_taken_mail_port_is_said_and_another_one_used(taken_port) -> None:
    port, message = devserver.choose_mail_port("127.0.0.1", taken_port)
    assert port != taken_port and devserver.port_free("127.0.0.1", port)
    assert f"ポート {taken_port} は他のプログラムが使用中" in message
    assert f"ポート {port} で受信します" in message and "MAIL_PORT=" in message
    free = port
    assert devserver.choose_mail_port("127.0.0.1", free) == (free, None)


def test_main_prints_and_exports_the_url_of_its_own_port(monkeypatch, capsys) -> None:
    # Empty is unset for the devserver; monkeypatch restores each afterwards.
    for name in ("PUBLIC_BASE_URL", "APP_CONFIG", "MAIL_PORT", "MAIL_SERVER"):
        monkeypatch.setenv(name, "")
    monkeypatch.setattr(sys, "argv", ["devserver", "--port", "5101"])
    started = {}
    monkeypatch.setattr(
        devserver, "run_until_signalled", lambda s: started.setdefault("s", s) and 0
    )
    assert devserver.main() == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:5101/" in out and "127.0.0.1:5000" not in out
    import os

    assert os.environ["PUBLIC_BASE_URL"] == "http://127.0.0.1:5101"
    supervisor = started["s"]
    assert supervisor.commands["web"][-1] == "5101"
    assert supervisor.commands["smtp"][-1] == os.environ["MAIL_PORT"]


def test_a_configured_public_url_wins(monkeypatch) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://nss.example.jp/")
    assert devserver.public_base_url("127.0.0.1", 5101) == "https://nss.example.jp"
    monkeypatch.delenv("PUBLIC_BASE_URL")
    assert devserver.public_base_url("0.0.0.0", 8000) == "http://127.0.0.1:8000"


def test_the_worker_starts_only_once_the_mail_catcher_listens(tmp_path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The "smtp" child listens after a second, as aiosmtpd does after its start-up.
    smtp = [sys.executable, "-c", (
        "import socket, time; time.sleep(1); s = socket.socket(); "
        f"s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(30)"
    )]  # fmt: skip
    spawned: list[tuple[str, float, bool]] = []

    def spawn(command):
        name = "smtp" if command is smtp else command[-1]
        spawned.append((name, time.monotonic(), not devserver.port_free("127.0.0.1", port)))
        if command is smtp:
            return subprocess.Popen(command)
        return subprocess.Popen([sys.executable, "-c", "pass"])

    marker = tmp_path / "demo"
    supervisor = devserver.DevSupervisor(
        {"smtp": smtp, "worker": ["worker"], "web": ["web"]},
        mail_host="127.0.0.1",
        mail_port=port,
        spawn=spawn,
    )
    supervisor.before_others.append(
        [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('queued')"]
    )
    try:
        supervisor.start(time.monotonic())
    finally:
        supervisor.stop(timeout=5)
    names = [name for name, _, _ in spawned]
    assert names == ["smtp", "worker", "web"]
    # The worker (which delivers the queued demo mails) saw the catcher already listening,
    # and the demo applications were queued in between.
    assert spawned[1][2] and spawned[2][2]
    assert marker.read_text() == "queued"


def test_dev_smtp_says_when_its_port_is_taken(runner, taken_port) -> None:
    result = runner.invoke(args=["dev", "smtp", "--port", str(taken_port)])
    assert result.exit_code == 1
    assert f"メール受信用のポート 127.0.0.1:{taken_port} を使用できません" in result.output
    assert f"MAIL_PORT={taken_port + 1} make run" in result.output


def test_mail_links_use_the_configured_public_url(app, client, smtp, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://nss.example.jp")
    signup(client, smtp)
    body = smtp.body(smtp.by_subject("仮アカウント登録完了")[-1])
    assert "https://nss.example.jp/login" in body and "127.0.0.1:5000" not in body
