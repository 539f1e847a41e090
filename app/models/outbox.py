"""Outgoing e-mail, written in the same transaction as the change that caused it."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import now
from app.extensions import db
from app.models.packed import pack_json, unpack_json
from app.models.types import UTCDateTime


class OutboundMail(db.Model):
    __tablename__ = "outbound_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    template: Mapped[str] = mapped_column(String(50))
    recipients: Mapped[list] = mapped_column(db.JSON)
    subject: Mapped[str] = mapped_column(String(200))
    # The text and HTML parts as one packed JSON pair (app.models.packed: compressed against
    # the templates' fixed text; the HTML repeats the text): read through body_text / body_html.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # While "sending": the claim expires then (a crashed sender's row is claimed again).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def _parts(self) -> list:
        if self.body is None:
            return [None, None]
        return unpack_json("mail", self.body)

    def _set_parts(self, text: str | None, html: str | None) -> None:
        self.body = pack_json("mail", [text, html])

    @property
    def body_text(self) -> str:
        return self._parts()[0]

    @body_text.setter
    def body_text(self, value: str) -> None:
        self._set_parts(value, self._parts()[1])

    @property
    def body_html(self) -> str | None:
        return self._parts()[1]

    @body_html.setter
    def body_html(self, value: str | None) -> None:
        self._set_parts(self._parts()[0], value)
