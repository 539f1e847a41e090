"""The application itself, its provisional account and the credentials issued to it."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import now
from app.extensions import db
from app.models.packed import PackedJSON
from app.models.types import UTCDateTime


class Application(db.Model):
    """One 機器共用（新規事業所）申込; answers holds each screen's data by form key."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_no: Mapped[str | None] = mapped_column(String(8), unique=True)
    status: Mapped[str] = mapped_column(String(30), default="signup", index=True)
    company_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    # Packed (app.models.packed): compact JSON compressed against the forms' field names.
    answers: Mapped[dict] = mapped_column(PackedJSON("answers"), default=dict)
    # Raw input of screens saved with 一時保存 but not yet submitted, by form key.
    drafts: Mapped[dict] = mapped_column(db.JSON, default=dict)
    # Bumped on every drafts write: saves merge one screen into the freshly read JSON (CAS).
    drafts_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the 設定作業 escalation timer fired (設定作業 not done the day before the start).
    setup_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    wished_start_date: Mapped[date | None] = mapped_column(Date, index=True)
    confirmed_start_date: Mapped[date | None] = mapped_column(Date)
    setup_deadline: Mapped[date | None] = mapped_column(Date)
    password_visible_until: Mapped[date | None] = mapped_column(Date)
    office_code: Mapped[str | None] = mapped_column(String(6))
    review_comment: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    instance: Mapped["ProcessInstance | None"] = relationship(  # noqa: F821
        back_populates="application", uselist=False
    )
    account: Mapped["ProvisionalAccount | None"] = relationship(
        back_populates="application", uselist=False
    )
    credentials: Mapped[list["IssuedCredential"]] = relationship(
        back_populates="application", order_by="IssuedCredential.id"
    )

    def answer(self, form_key: str) -> dict:
        return dict((self.answers or {}).get(form_key) or {})


class ProvisionalAccount(db.Model):
    """The 仮ログインID of one application; its password is only ever stored hashed."""

    __tablename__ = "provisional_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    login_id: Mapped[str] = mapped_column(String(7), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(100))
    # Sessions opened with this login carry the epoch they began in; logout bumps it.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    application: Mapped[Application] = relationship(back_populates="account")

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None


class IssuedCredential(db.Model):
    """A 事業所コード or 利用者ID issued at 審査終了; the password is encrypted and wiped later."""

    __tablename__ = "issued_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "office" or "user"
    office_code: Mapped[str] = mapped_column(String(6))
    user_code: Mapped[str | None] = mapped_column(String(5))
    identifier: Mapped[str | None] = mapped_column(String(3))
    system_kind: Mapped[str | None] = mapped_column(String(20))
    industries: Mapped[str | None] = mapped_column(String(200))
    password_encrypted: Mapped[str | None] = mapped_column(Text)
    # The 事業所パスワード becomes the NSS login, so its hash outlives the viewing window.
    login_hash: Mapped[str | None] = mapped_column(String(200))
    # Sessions opened with the 事業所コード carry this epoch; logout bumps it.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    # Set when the application ended before use: the 利用者コード is free for others again.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship(back_populates="credentials")

    @property
    def user_id(self) -> str | None:
        if self.user_code and self.identifier:
            return self.user_code + self.identifier
        return None
