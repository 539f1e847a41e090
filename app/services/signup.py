"""Starting an application: the anonymous visitor agrees to the terms of use."""

from app import mailer
from app.clock import now
from app.extensions import db
from app.models import Application
from app.services import Actor
from app.services.unit import audit, start_instance


def start_signup() -> Actor:
    """Create the application and its workflow; returns the anonymous actor bound to it."""
    application = Application(status="signup")
    db.session.add(application)
    db.session.flush()
    actor = Actor(
        kind="anonymous", label=f"anonymous:{application.id}", application_id=application.id
    )
    unit = start_instance(application, {"terms_agreed_at": now().isoformat()}, actor)
    audit(application.id, actor, "terms_agreed")
    db.session.commit()
    mailer.deliver_pending(unit.context.mail_ids)
    return actor
