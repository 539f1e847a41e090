"""Printable documents: システムサービス利用申込書 and システムサービス利用承諾書 (PDF)."""

from app.documents.forms import render_application_form, render_consent

__all__ = ["render_application_form", "render_consent"]
