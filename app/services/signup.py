"""Starting an application: the anonymous visitor agrees to the terms of use."""

from app import mailer
from app.clock import now
from app.extensions import db
from app.models import Application
from app.services import Actor, ServiceError, throttle
from app.services.unit import audit, start_instance

TOO_MANY_SIGNUPS = (
    "短時間に多くの仮アカウント申込が行われたため、一時的に受付を制限しています。"
    "{minutes}分後にもう一度お試しください。"
)


def start_signup(address: str = "") -> Actor:
    """Create the application and its workflow; returns the anonymous actor bound to it.

    Each call starts a process instance, so one client address may start only a few an hour.
    """
    key = throttle.address_key("signup", address)
    rest = throttle.remaining_lock([key])
    if rest is not None:
        raise ServiceError(TOO_MANY_SIGNUPS.format(minutes=throttle.minutes(rest)), 429)
    locked_until = throttle.hit(key, throttle.limit("signup"))
    if locked_until is not None:
        audit(
            None,
            f"anonymous@{address or '-'}"[:100],
            "signup_locked",
            address=address,
            until=locked_until.isoformat(),
        )
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
