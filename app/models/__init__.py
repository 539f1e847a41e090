"""All models, imported here so Alembic and the app see every table."""

from app.models.application import Application, IssuedCredential, ProvisionalAccount
from app.models.audit import AuditEvent
from app.models.housekeeping import HousekeepingInstance
from app.models.incident import Incident
from app.models.observability import WorkerHeartbeat
from app.models.outbox import OutboundMail
from app.models.people import STAFF_ROLES, StaffUser
from app.models.reference import CalendarDay, Counter, Office, ScheduleEntry, Setting
from app.models.review import ReturnComment, ReviewDecision, StaffNote
from app.models.security import LoginThrottle
from app.models.workflow import (
    HumanTask,
    ProcessInstance,
    ProcessVersion,
    VersionInstanceCount,
)

__all__ = [
    "Application",
    "AuditEvent",
    "CalendarDay",
    "Counter",
    "HousekeepingInstance",
    "HumanTask",
    "Incident",
    "IssuedCredential",
    "LoginThrottle",
    "Office",
    "OutboundMail",
    "ProcessInstance",
    "ProcessVersion",
    "ProvisionalAccount",
    "ReturnComment",
    "ReviewDecision",
    "STAFF_ROLES",
    "ScheduleEntry",
    "Setting",
    "StaffNote",
    "StaffUser",
    "VersionInstanceCount",
    "WorkerHeartbeat",
]
