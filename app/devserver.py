"""`make run`: the web app, the timer worker and the SMTP capture, started and stopped together;
a child that dies is started again after a back-off (app/supervisor.py).

The mail catcher starts first, on MAIL_PORT (8025) or, when that port is taken, the next free
one (said on the console); the worker, which delivers every mail, starts once it listens, so
mails queued before (the demo applications) are delivered without connection errors. The mails'
links use PUBLIC_BASE_URL, http://HOST:PORT of this server unless set.
"""

import argparse
import os
import socket
import subprocess
import sys
import time

from app.supervisor import Supervisor, run_until_signalled

DEFAULT_MAIL_PORT = 8025
# How many ports after a taken MAIL_PORT are tried before asking the system for any free one.
MAIL_PORT_TRIES = 20
SMTP_READY_TIMEOUT = 15.0


def port_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (a bind succeeds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def choose_mail_port(host: str, wanted: int) -> tuple[int, str | None]:
    """(port, message): wanted when free, else the next free port and what to tell the user."""
    if port_free(host, wanted):
        return wanted, None
    candidates = [wanted + step for step in range(1, MAIL_PORT_TRIES + 1)]
    port = next((p for p in candidates if p < 65536 and port_free(host, p)), None)
    if port is None:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    message = (
        f"[make run] メール受信用のポート {wanted} は他のプログラムが使用中のため、"
        f"ポート {port} で受信します。ポートを指定するには MAIL_PORT=番号 make run としてください"
        f"（README「Two commands」参照）。"
    )
    return port, message


def public_base_url(host: str, port: int) -> str:
    """PUBLIC_BASE_URL when set, else this server's own address (0.0.0.0 → 127.0.0.1)."""
    configured = os.environ.get("PUBLIC_BASE_URL", "").strip()
    if configured:
        return configured.rstrip("/")
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{shown}:{port}"


def wait_until_listening(host: str, port: int, timeout: float = SMTP_READY_TIMEOUT) -> bool:
    """True once host:port accepts a connection, False after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class DevSupervisor(Supervisor):
    """Starts the SMTP capture first and the others once it listens (restarts as usual)."""

    def __init__(self, commands: dict[str, list[str]], mail_host: str, mail_port: int, **kwargs):
        super().__init__(commands, **kwargs)
        self.mail_host, self.mail_port = mail_host, mail_port
        self.before_others: list[list[str]] = []

    def start(self, now: float) -> None:
        self._start("smtp", now)
        if not wait_until_listening(self.mail_host, self.mail_port):
            self.log(
                f"[make run] メール受信（SMTP {self.mail_host}:{self.mail_port}）が起動しません。"
                "メールは送信待ちのまま残り、起動後にワーカーが送信します。"
            )
        for command in self.before_others:
            subprocess.run(command, check=False)
        for name in self.commands:
            if name != "smtp":
                self._start(name, time.monotonic())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument(
        "--demo-applications",
        action="store_true",
        help="queue the demo applications (and their mails) once the mail catcher is up",
    )
    args = parser.parse_args()
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    # The children inherit the development config explicitly (an unset APP_CONFIG is production).
    os.environ["APP_CONFIG"] = "development"
    base_url = public_base_url(args.host, args.port)
    os.environ["PUBLIC_BASE_URL"] = base_url
    mail_host = "127.0.0.1"
    wanted = int(os.environ.get("MAIL_PORT") or DEFAULT_MAIL_PORT)
    mail_port, message = choose_mail_port(mail_host, wanted)
    if message:
        print(message, file=sys.stderr, flush=True)
    os.environ["MAIL_SERVER"] = mail_host
    os.environ["MAIL_PORT"] = str(mail_port)
    supervisor = DevSupervisor(
        {
            "smtp": flask + ["dev", "smtp", "--host", mail_host, "--port", str(mail_port)],
            "worker": flask + ["workflow", "worker"],
            "web": flask + ["run", "--host", args.host, "--port", str(args.port)],
        },
        mail_host=mail_host,
        mail_port=mail_port,
    )
    if args.demo_applications:
        supervisor.before_others.append(flask + ["admin", "demo-applications", "--if-none"])
    print(
        f"\n  NACCS 機器共用申込: {base_url}/   (mail: {base_url}/dev/mail on SMTP port "
        f"{mail_port}, clock: {base_url}/dev/clock)\n",
        flush=True,
    )

    return run_until_signalled(supervisor)


if __name__ == "__main__":
    sys.exit(main())
