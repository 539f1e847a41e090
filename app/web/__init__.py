"""Blueprints and the login glue that turns a session into a service Actor."""

from flask import Flask, has_request_context, session
from flask_login import current_user

from app.extensions import login_manager
from app.services import Actor


class LoggedIn:
    """Flask-Login user: an applicant account ("a:<id>") or a staff user ("s:<id>"). Flask-Login
    keeps it on `g` for the request, and with it the Principal read once by load_user."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, key: str, principal):
        self.key = key
        self.principal = principal
        self.actor: Actor = principal.actor
        self.display_name: str = principal.display_name

    def get_id(self) -> str:
        return self.key

    @property
    def is_staff(self) -> bool:
        return self.actor.kind == "staff"

    def has_role(self, role: str) -> bool:
        return self.actor.has_role(role)


@login_manager.user_loader
def load_user(key: str):
    from app.services.auth import current_principal
    from app.web.auth import LOGIN_GRANT

    # Logout, a new password or a timer that disabled the login ends every copy of a session.
    found = current_principal(key, session.get(LOGIN_GRANT))
    return LoggedIn(key, found) if found is not None else None


def current_application():
    """The signed-in applicant's application as read with the login this request (services
    take it as an argument instead of reading it again), or None."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user.principal.application


def current_actor() -> Actor:
    if not has_request_context():  # mail rendered by the worker
        return Actor(kind="system", label="system")
    if current_user.is_authenticated:
        return current_user.actor
    application_id = session.get("signup_application_id")
    if application_id:
        return Actor(
            kind="anonymous", label=f"anonymous:{application_id}", application_id=application_id
        )
    return Actor(kind="anonymous", label="anonymous")


def register_blueprints(app: Flask) -> None:
    from app.web import admin, analyst, applicant, auth, dev, health, staff
    from app.web.input_guard import register_input_guard

    register_input_guard(app)  # control characters in the URL: 400 before any route
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(applicant.bp)
    from app.web import instance_admin

    app.register_blueprint(instance_admin.bp)
    app.register_blueprint(staff.bp)
    from app.web import operations

    app.register_blueprint(operations.bp)
    app.register_blueprint(analyst.bp)
    app.register_blueprint(admin.bp)
    if app.config.get("DEV_TOOLS"):
        app.register_blueprint(dev.bp)

    @app.context_processor
    def inject_actor():
        return {"actor": current_actor(), "dev_tools": app.config.get("DEV_TOOLS")}
