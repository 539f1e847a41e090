"""Validation of diagrams against this product's forms, roles and service topics."""

from app.engine.validation import Problem, validate
from app.services.actions import HANDLERS
from forms import FORMS

ROLES = {"applicant", "reviewer", "operator", "system"}


def validate_files(files: dict[str, str]) -> list[Problem]:
    return validate(files, set(FORMS), ROLES, set(HANDLERS))
