"""The applicant's simplified progress: the main diagram's stages and where the application is."""

from markupsafe import Markup, escape

from app.engine import runtime
from app.engine.diagram import ACTIVITIES, main_path
from app.engine.render_parts import steps_svg
from app.extensions import db
from app.models import Application
from app.services.analyst import ENDED, STEP_KINDS, model
from app.services.views import STATUS_LABELS


def applicant_progress(application_id: int) -> list[tuple[str, str]]:
    """The stages of the main diagram as (label, done|active|cancelled|"") for the applicant."""
    application = db.session.get(Application, application_id)
    if application is None or application.instance is None:
        return []
    version = application.instance.version
    main = model(version).get(version.process_id)
    if main is None:
        return []
    states = runtime.element_states(application.instance.state, version.process_id)
    mine = states.get(version.process_id, {})
    word = {"done": "done", "active": "active", "waiting": "active", "cancelled": "cancelled"}
    path = main_path(main, STEP_KINDS)
    steps = [[n.label, word.get(mine.get(n.id, ("", None))[0], "")] for n in path]
    reached = [i for i, (_label, state) in enumerate(steps) if state in ("done", "active")]
    last = reached[-1] if reached else -1
    detours = [
        main.nodes[e]
        for e, (state, _due) in mine.items()
        if state in ("active", "waiting")
        and e in main.nodes
        and main.nodes[e].kind in ACTIVITIES
        and main.nodes[e] not in path
    ]
    for node in detours:
        last += 1
        steps.insert(last, [node.label, "active"])
    if application.status in ENDED:
        done = [i for i, (_label, state) in enumerate(steps) if state == "done"]
        steps = steps[: (done[-1] + 1) if done else 0]
        steps.append([STATUS_LABELS.get(application.status, application.status), "cancelled"])
    return [(label, state) for label, state in steps]


def applicant_progress_svg(application_id: int) -> Markup:
    """A simplified SVG of where the application stands, plus a text list for screen readers."""
    steps = applicant_progress(application_id)
    if not steps:
        return Markup("")
    words = {"done": "（済）", "active": "（現在）", "cancelled": "（終了）", "": ""}
    items = "".join(f"<li>{escape(label)}{words.get(state, '')}</li>" for label, state in steps)
    return Markup(steps_svg(steps, "申込の進み具合")) + Markup(f'<ol class="sr">{items}</ol>')
