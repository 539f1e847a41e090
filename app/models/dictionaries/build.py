"""Writes the preset dictionaries of app/models/packed.py (run once per new version).

    .venv/bin/python -m app.models.dictionaries.build <version>

Each dictionary holds only product constants, never anyone's data: for answers the form keys,
field names (a skeleton of every form) and choice values; for the audit trail its keys, the
diagrams' task ids, names, form keys, service topics and timer names, the mail templates; for
mails the fixed text of every mail template. An existing file is never overwritten: rows
compressed against it need it byte for byte.
"""

import json
import re
import sys
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _fields(form_class) -> list:
    from wtforms.fields.core import UnboundField

    found = []
    for attribute in dir(form_class):
        field = getattr(form_class, attribute, None)
        if isinstance(field, UnboundField):
            found.append((field.creation_counter, field.kwargs.get("name", attribute), field))
    return [(name, field) for _counter, name, field in sorted(found, key=lambda f: f[0])]


def _skeleton(form_class) -> dict:
    skeleton = {}
    for name, field in _fields(form_class):
        kind = field.field_class.__name__
        if kind == "BooleanField":
            skeleton[name] = True
        elif kind == "FieldList" and field.args and hasattr(field.args[0], "field_class"):
            inner = field.args[0]
            skeleton[name] = [_skeleton(inner.args[0])] if inner.args else []
        elif kind in {"ValueList", "MultiCheckboxField"}:
            skeleton[name] = []
        else:
            skeleton[name] = ""
    return skeleton


def _choices(form_class, into: list) -> None:
    for _name, field in _fields(form_class):
        choices = field.kwargs.get("choices")
        if not choices and len(field.args) > 1 and isinstance(field.args[1], list | tuple):
            choices = field.args[1]
        for choice in choices if isinstance(choices, list | tuple) else ():
            value = (
                choice[0] if isinstance(choice, list | tuple) else getattr(choice, "value", choice)
            )
            if isinstance(value, str) and value and value not in into:
                into.append(value)
        if field.args and hasattr(field.args[0], "args") and field.args[0].args:
            _choices(field.args[0].args[0], into)


def answers_dictionary() -> str:
    from forms import FORMS

    choices: list[str] = []
    for form_class in FORMS.values():
        _choices(form_class, choices)
    skeleton = {key: _skeleton(form_class) for key, form_class in FORMS.items()}
    # The most frequent text last: deflate reaches it with the shortest distances.
    return "".join(_json(c) + "," for c in choices) + _json(skeleton)


def _bpmn_elements():
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        yield from ElementTree.parse(path).iter()


def audit_dictionary() -> str:
    from app.mailer import SUBJECTS

    # Shapes of the frequent events' details (their keys in the order they are written).
    parts = [
        _json({"version": 1, "hash": ""}),
        _json({"mails": 0, "new": 0, "overdue": 0}),
        _json({"incident": 0, "element": "", "error": ""}),
        _json({"form": "", "section": "", "auto": False}),
        _json(
            {"decision": "approve", "round": 1, "confirmed_start_date": "", "date_changed": False}
        ),
        _json({"comments": 0}),
    ]
    for template in SUBJECTS:
        parts.append(_json({"template": template, "to": [""]}))
    for element in _bpmn_elements():
        tag = element.tag.removeprefix(BPMN)
        if tag == "serviceTask" and element.get(f"{CAMUNDA}topic"):
            parts.append(_json({"topic": element.get(f"{CAMUNDA}topic"), "status": None}))
        elif tag.endswith("Event") and element.find(f"{BPMN}timerEventDefinition") is not None:
            parts.append(_json({"timer": element.get("name") or element.get("id")}))
    for element in _bpmn_elements():
        if element.tag == f"{BPMN}userTask":
            task = {"task": element.get("id"), "title": element.get("name") or ""}
            task["form"] = element.get(f"{CAMUNDA}formKey") or ""
            parts.append(_json(task))
    return "".join(dict.fromkeys(parts))


_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)


def mail_dictionary() -> str:
    mail = ROOT / "templates" / "mail"
    parts = []
    for path in sorted(mail.glob("*.html")) + sorted(mail.glob("*.txt")):
        static = _JINJA.sub("", path.read_text(encoding="utf-8"))
        if static.strip():
            parts.append(_json(static)[1:-1])  # as it appears inside the stored JSON pair
    return "".join(parts)


BUILDERS = {"answers": answers_dictionary, "audit": audit_dictionary, "mail": mail_dictionary}


def main(version: int) -> None:
    for kind, build in BUILDERS.items():
        path = HERE / f"{kind}.v{version}.txt"
        if path.exists():
            print(f"{path.name} exists: left as it is")
            continue
        data = build().encode("utf-8")[-32768:]  # deflate's window
        path.write_bytes(data)
        print(f"{path.name}: {len(data):,d} bytes")


if __name__ == "__main__":
    main(int(sys.argv[1]))
