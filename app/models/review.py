"""Review records: each decision with the answers it judged, its return comments, staff notes."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import now
from app.extensions import db
from app.models.packed import PackedJSON
from app.models.types import UTCDateTime


class ReviewDecision(db.Model):
    """One 審査結果 (承認 / 差戻し / 却下); ``answers`` is what the reviewer saw when deciding."""

    __tablename__ = "review_decision"
    __table_args__ = (Index("ix_review_decision_app_round", "application_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    round: Mapped[int] = mapped_column(default=1)  # 1 for the first review, 2 after a return ...
    decision: Mapped[str] = mapped_column(String(10))  # "approve", "return", "reject"
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    decided_by: Mapped[str] = mapped_column(String(100))  # audit label, e.g. "staff:reviewer"
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    wished_start_date: Mapped[date | None] = mapped_column(Date)
    confirmed_start_date: Mapped[date | None] = mapped_column(Date)
    # The overall 差戻し message, or the 却下理由.
    comment: Mapped[str | None] = mapped_column(Text)
    # The snapshot, packed as Application.answers is (a fifth of its JSON).
    answers: Mapped[dict] = mapped_column(PackedJSON("answers"), default=dict)

    comments: Mapped[list["ReturnComment"]] = relationship(
        back_populates="decision", order_by="ReturnComment.id"
    )
    decider: Mapped["StaffUser | None"] = relationship()  # noqa: F821

    @property
    def date_changed(self) -> bool:
        return bool(
            self.confirmed_start_date
            and self.wished_start_date
            and self.confirmed_start_date != self.wished_start_date
        )


class ReturnComment(db.Model):
    """A 差戻し comment on one section (``field`` empty) or one field of the applicant's answers."""

    __tablename__ = "return_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("review_decision.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    form_key: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(100), default="")
    label: Mapped[str] = mapped_column(String(300), default="")  # as the reviewer saw it
    body: Mapped[str] = mapped_column(Text)

    decision: Mapped[ReviewDecision] = relationship(back_populates="comments")


class StaffNote(db.Model):
    """An internal note on an application: visible to NACCS Center staff only."""

    __tablename__ = "staff_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    author: Mapped[str] = mapped_column(String(100))  # display name at the time of writing
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


def _refuse_change(mapper, connection, target):  # pragma: no cover - guard
    raise RuntimeError(f"{type(target).__name__} records are append-only")


for _model in (ReviewDecision, ReturnComment, StaffNote):
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
