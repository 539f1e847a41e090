"""Development mail capture: an aiosmtpd server writing every message into a Maildir."""

import mailbox
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, directory: str):
        Path(directory).parent.mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(directory, create=True)

    async def handle_DATA(self, server, session, envelope):
        self.maildir.add(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start(host: str, port: int, directory: str) -> Controller:
    controller = Controller(MaildirHandler(directory), hostname=host, port=port)
    controller.start()
    return controller


def serve(host: str, port: int, directory: str) -> None:
    controller = start(host, port, directory)
    print(f"SMTP capture on {host}:{port}, mailbox {directory}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


def read_mailbox(directory: str, limit: int = 200) -> list[dict]:
    """Newest first: subject, recipients, date and the decoded text/html bodies."""
    if not Path(directory).exists():
        return []
    box = mailbox.Maildir(directory, create=False)
    items = []
    for key, raw in box.iteritems():
        message = message_from_bytes(raw.as_bytes(), policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        items.append(
            {
                "key": key,
                "subject": str(message["subject"] or ""),
                "to": str(message["to"] or ""),
                "date": str(message["date"] or ""),
                "received": Path(directory, "new", key).stat().st_mtime
                if Path(directory, "new", key).exists()
                else 0,
                "text": text.get_content() if text else "",
                "html": html.get_content() if html else "",
            }
        )
    items.sort(key=lambda m: m["received"], reverse=True)
    return items[:limit]
