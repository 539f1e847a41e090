"""Use cases: one function per action; the only layer that commits."""

from dataclasses import dataclass, field


class ServiceError(Exception):
    """A refusal the user should read (Japanese message)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Actor:
    """Who acts: built by the web layer from the login, passed to services explicitly."""

    kind: str  # "applicant", "staff", "anonymous", "system"
    label: str  # written to the audit trail, e.g. "applicant:0000001", "staff:reviewer"
    staff_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    application_id: int | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles


SYSTEM = Actor(kind="system", label="system")
