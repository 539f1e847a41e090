"""Forms of the BPMN user tasks, by form key (the ``formKey`` of a user task)."""

from __future__ import annotations

from forms.base import TaskForm
from forms.confirmation import IssuanceConfirmForm, SetupWorkForm, SystemSetupForm
from forms.entry import (
    EntryBillingForm,
    EntryConfirmForm,
    EntryContactForm,
    EntryContractorForm,
    EntryEquipmentForm,
    EntryGuidanceForm,
    EntryManagerForm,
    EntryOfficeForm,
    EntryPlanForm,
    EntryStartDateForm,
    EntryUserCodesForm,
)
from forms.review import ReviewDecisionForm
from forms.signup import SignupConfirmForm, SignupContactForm

_FORM_CLASSES: tuple[type[TaskForm], ...] = (
    SignupContactForm,
    SignupConfirmForm,
    EntryGuidanceForm,
    EntryContactForm,
    EntryStartDateForm,
    EntryOfficeForm,
    EntryContractorForm,
    EntryManagerForm,
    EntryUserCodesForm,
    EntryEquipmentForm,
    EntryPlanForm,
    EntryBillingForm,
    EntryConfirmForm,
    ReviewDecisionForm,
    IssuanceConfirmForm,
    SystemSetupForm,
    SetupWorkForm,
)
FORMS: dict[str, type[TaskForm]] = {cls.key: cls for cls in _FORM_CLASSES}


def form_for(key: str) -> type[TaskForm] | None:
    """The form class of a user task's form key, or None."""
    return FORMS.get(key)


__all__ = ["FORMS", "TaskForm", "form_for"]
