"""Workflow persistence: deployed diagram versions, running instances and the human-task inbox."""

import zlib
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.clock import now
from app.extensions import db
from app.models.types import UTCDateTime


class PackedState(TypeDecorator):
    """A binary column of zlib-compressed text: bytes (packed by the engine) are stored as
    given; a str (the placeholder state of an instance being created) is packed here."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | str | None, dialect):
        if isinstance(value, str):
            return zlib.compress(value.encode("utf-8"))
        return value


class ProcessVersion(db.Model):
    """One deployed set of diagrams, stored once per content hash."""

    __tablename__ = "process_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # {file name: BPMN XML}; kept so the analyst can see and render exactly what runs.
    # Deferred (like spec_json): loaded only where shown, never with the row on a submission.
    files: Mapped[dict] = mapped_column(db.JSON, deferred=True)
    # The serialized SpiffWorkflow spec and subprocess specs of this version; read only when
    # this process has not cached the deserialized specs yet (engine.runtime.version_specs).
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    deployed_by: Mapped[str] = mapped_column(String(100), default="system")

    instances: Mapped[list["ProcessInstance"]] = relationship(back_populates="version")


class ProcessInstance(db.Model):
    """The state of one running application's workflow; the spec lives in its version."""

    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    # The workflow state without its specs: compact JSON, zlib-compressed (engine.serializer:
    # pack_state writes it, state_text reads it; a str is the placeholder of a new instance).
    state: Mapped[bytes] = mapped_column(PackedState)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    # Where it stands: " process:element process:element " (sorted; "" once finished), every
    # element with a READY, STARTED, ERROR or WAITING task, boundary events left out
    # (engine.positions). Written with the state in the same UPDATE, only when it changes; the
    # analyst's per-element counts group by it and the stage filter searches it, in SQL.
    positions: Mapped[str] = mapped_column(Text, default="")
    # Earliest pending timer, so the worker finds due instances with one indexed query.
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    # Instance administration: while set, no timer fires and no task can be submitted.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    version: Mapped[ProcessVersion] = relationship(back_populates="instances")
    application: Mapped["Application"] = relationship(back_populates="instance")  # noqa: F821

    # The version page counts per position: read off this index alone.
    __table_args__ = (Index("ix_process_instance_positions", "version_id", "positions"),)
    # Optimistic lock: a second writer of the same row fails instead of overwriting.
    __mapper_args__ = {"version_id_col": lock_version}


class VersionInstanceCount(db.Model):
    """How many instances of a version are in each status, kept by database triggers on
    process_instance (insert, delete, a change of version or status: migration j10tly0000010),
    so that the analyst's version list reads a few rows instead of counting every instance.
    Nothing in the application writes it."""

    __tablename__ = "version_instance_count"

    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    instances: Mapped[int] = mapped_column(Integer, default=0)


class HumanTask(db.Model):
    """Inbox row for a READY manual task, kept in sync with the workflow on every save."""

    __tablename__ = "human_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_id"),
        # Every task page and submission finds its row by the task's UUID alone.
        Index("ix_human_task_task_id", "task_id"),
        Index("ix_human_task_app_state", "application_id", "state"),
        # The staff queues read pages straight off these (lane, state, ...) indexes: tab counts
        # and unclaimed / mine by answer-due date; all by answer-due date; the done history.
        # Each ends with the id, the pages' tie-breaker, so no page sorts the rows of one date.
        Index("ix_human_task_queue", "lane", "state", "owner_id", "due_at", "id"),
        Index("ix_human_task_queue_due", "lane", "state", "due_at", "id"),
        Index("ix_human_task_queue_done", "lane", "state", "completed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    process_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    form_key: Mapped[str] = mapped_column(String(100))
    lane: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(20), default="ready")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))

    owner: Mapped["StaffUser | None"] = relationship()  # noqa: F821
    application: Mapped["Application"] = relationship()  # noqa: F821
