"""Server-side SVG of a BPMN diagram from its DI (no JavaScript), with per-element overlays."""

from dataclasses import dataclass, field

from app.engine.diagram import (
    ACTIVITIES,
    BPMN,
    EVENTS,
    GATEWAYS,
    NS,
    in_bpmn,
    local,
    parse_xml,
)
from app.engine.render_parts import (
    STATE_WORDS,
    STYLE,
    badge,
    bottom_marker,
    data_arrow,
    esc,
    event_icon,
    gateway_mark,
    task_icon,
    text_block,
    text_width,
    wrap,
)
from app.engine.render_planes import DiagramRef, diagrams

__all__ = ["DiagramRef", "Overlay", "RenderError", "diagrams", "render"]

DATA = ("dataObjectReference", "dataStoreReference", "dataObject", "dataInput", "dataOutput")


class RenderError(Exception):
    """The file cannot be drawn (no such process, no diagram interchange)."""


@dataclass
class Overlay:
    """What to paint over the diagram, keyed by element id."""

    states: dict[str, str] = field(default_factory=dict)  # done|active|waiting|cancelled
    notes: dict[str, str] = field(default_factory=dict)  # short text under an element
    counts: dict[str, int] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    lane_labels: dict[str, str] = field(default_factory=dict)


def render(
    files: dict[str, str],
    process_id: str | None = None,
    overlay: Overlay | None = None,
    prefix: str = "bp",
    diagram: str | None = None,
) -> str:
    """The SVG of the diagram `diagram` (by id), else of the plane that shows `process_id`
    (its own plane first), else of the first plane."""
    refs = diagrams(files)
    ref = next((r for r in refs if diagram and r.diagram == diagram), None)
    if ref is None:
        showing = [r for r in refs if process_id is None or process_id in r.processes]
        ref = next((r for r in showing if r.primary), None) or next(iter(showing), None)
    if ref is None:
        raise RenderError(f"no diagram (BPMN DI) shows process {process_id!r}")
    root = parse_xml(files[ref.file])
    plane = root.findall("bpmndi:BPMNDiagram", NS)[ref.index].find("bpmndi:BPMNPlane", NS)
    return Canvas(root, plane, overlay or Overlay(), prefix, ref.name).draw()


def _bounds(element) -> tuple[float, float, float, float] | None:
    b = element.find("dc:Bounds", NS) if element is not None else None
    if b is None:
        return None
    return tuple(float(b.get(k, 0)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


class Canvas:
    """Draws one BPMN plane."""

    def __init__(self, root, plane, overlay: Overlay, prefix: str, title: str = ""):
        self.root, self.plane, self.overlay, self.prefix = root, plane, overlay, esc(prefix)
        self.title = title
        self.by_id = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
        self.out: list[str] = []
        self.late: list[str] = []
        self.label_bottom: dict[str, float] = {}

    def draw(self) -> str:
        shapes = list(self.plane.iterfind("bpmndi:BPMNShape", NS))
        edges = list(self.plane.iterfind("bpmndi:BPMNEdge", NS))
        box = self._viewbox(shapes, edges)
        kinds = {s: local(self.by_id.get(s.get("bpmnElement"), s)) for s in shapes}
        layers = {"participant": 0, "lane": 1, "group": 3}
        back = [s for s in shapes if kinds[s] in layers or self._container(s, kinds[s])]

        def order(shape) -> tuple:
            b = _bounds(shape) or (0, 0, 0, 0)
            return (layers.get(kinds[shape], 2), -b[2] * b[3])  # outer (larger) boxes first

        for shape in sorted(back, key=order):
            self._shape(shape)
        for edge in edges:
            self._edge(edge)
        for shape in shapes:
            if shape not in back:
                self._shape(shape)
        x, y, w, h = box
        title = esc(self._title())
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="bp" viewBox="{x:.0f} {y:.0f} {w:.0f} {h:.0f}" '
            f'width="{w:.0f}" height="{h:.0f}" role="img" aria-label="{title}">'
            f"<title>{title}</title><style>{STYLE}</style><defs>"
            f'<marker id="{self.prefix}-end" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" '
            'markerHeight="9" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#22313f"/></marker>'
            f'<marker id="{self.prefix}-taken" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
            'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1e7b34"/></marker>'
            f'<marker id="{self.prefix}-open" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" '
            'markerHeight="9" orient="auto"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#22313f"/>'
            "</marker></defs>"
        )
        return head + "".join(self.out) + "".join(self.late) + "</svg>"

    def _title(self) -> str:
        element = self.by_id.get(self.plane.get("bpmnElement"))
        names = [p.get("name") for p in self.root.iter(f"{{{BPMN}}}participant") if p.get("name")]
        own = element.get("name") if element is not None else None
        return own or "・".join(names) or self.title or "BPMN"

    def _expanded(self, shape) -> bool:
        return shape.get("isExpanded") == "true"

    def _container(self, shape, kind: str) -> bool:
        """An expanded sub-process or call activity: drawn behind the shapes inside it."""
        return kind in ACTIVITIES and self._expanded(shape)

    def _viewbox(self, shapes, edges) -> tuple[float, float, float, float]:
        xs, ys = [], []
        for element in [*shapes, *edges]:
            for b in [_bounds(element), _bounds(element.find("bpmndi:BPMNLabel", NS))]:
                if b:
                    xs += [b[0], b[0] + b[2]]
                    noted = element.get("bpmnElement") in self.overlay.notes
                    ys += [b[1], b[1] + b[3] + (40 if noted else 0)]
            for point in element.iterfind("di:waypoint", NS):
                xs.append(float(point.get("x", 0)))
                ys.append(float(point.get("y", 0)))
        if not xs:
            raise RenderError("the diagram has no shapes")
        return min(xs) - 20, min(ys) - 20, max(xs) - min(xs) + 40, max(ys) - min(ys) + 40

    # -- shapes ---------------------------------------------------------------------------

    def _shape(self, shape) -> None:
        element_id = shape.get("bpmnElement") or ""
        element = self.by_id.get(element_id)
        bounds = _bounds(shape)
        if element is None or bounds is None:
            return
        kind = local(element)
        name = " ".join((element.get("name") or "").split())
        state = self.overlay.states.get(element_id, "")
        x, y, w, h = bounds
        horizontal = shape.get("isHorizontal") != "false"
        if kind == "participant":
            self._band(x, y, w, h, name, "pool", horizontal)
            return
        if kind == "lane":
            label = self.overlay.lane_labels.get(name, name)
            self._band(x, y, w, h, label, "lane", horizontal)
            return
        body: list[str] = []
        if kind in ACTIVITIES:
            body.append(self._activity(element, shape, kind, name, bounds))
        elif kind in EVENTS:
            body.append(self._event(element, kind, bounds))
        elif kind in GATEWAYS:
            body.append(self._gateway(kind, bounds))
        elif kind == "textAnnotation":
            text = (element.findtext("bpmn:text", "", NS) or "").strip()
            body.append(f'<path class="m" d="M{x + 15},{y} h-15 v{h} h15"/>')
            body.append(text_block(x + w / 2, y + h / 2, text, w - 8, 11, "flabel"))
        elif kind == "group":
            body.append(
                f'<rect class="m" x="{x}" y="{y}" width="{w}" height="{h}" rx="8" stroke-dasharray="8 4 2 4"/>'
            )
        elif kind in DATA:
            body.append(self._data(element, kind, bounds))
        else:
            body.append(f'<rect class="s" x="{x}" y="{y}" width="{w}" height="{h}"/>')
        if kind not in ACTIVITIES and kind not in ("textAnnotation", "group") and name:
            self._outer_label(shape, name, bounds)
        tip = name or element_id
        if state:
            tip += f"（{STATE_WORDS.get(state, state)}）"
        if element_id in self.overlay.counts:
            tip += f"：{self.overlay.counts[element_id]}件"
        body.insert(0, f"<title>{esc(tip)}</title>")
        body.append(self._decorations(element_id, state, bounds))
        state_attr = f' data-state="{esc(state)}"' if state else ""
        group = (
            f'<g class="el {esc(state)}" data-element="{esc(element_id)}" data-kind="{esc(kind)}"'
            f"{state_attr}>{''.join(body)}</g>"
        )
        link = self.overlay.links.get(element_id)
        self.out.append(f'<a href="{esc(link)}">{group}</a>' if link else group)

    def _band(
        self, x: float, y: float, w: float, h: float, label: str, cls: str, horizontal: bool
    ) -> None:
        """A pool or lane: its name in a 30 px header, left (rotated) or on top (vertical)."""
        length = h if horizontal else w
        if len(wrap(label, length - 10, 13)) > 1 and " (" in label:
            label = label.split(" (")[0]  # the header holds one line: keep the readable part
        size = 13 if len(wrap(label, length - 10, 13)) == 1 else 11
        box = f'<rect class="{esc(cls)}" x="{x}" y="{y}" width="{w}" height="{h}"/>'
        if horizontal:
            text = text_block(0, 0, label, h - 10, size, "tlabel")
            self.out.append(
                f'<g class="{esc(cls)}-g">{box}'
                f'<rect class="head" x="{x}" y="{y}" width="30" height="{h}"/>'
                f'<g transform="translate({x + 15:.1f},{y + h / 2:.1f}) rotate(-90)">{text}</g></g>'
            )
            return
        text = text_block(x + w / 2, y + 15, label, w - 10, size, "tlabel")
        self.out.append(
            f'<g class="{esc(cls)}-g vertical">{box}'
            f'<rect class="head head-v" x="{x}" y="{y}" width="{w}" height="30"/>{text}</g>'
        )

    def _activity(self, element, shape, kind: str, name: str, bounds) -> str:
        x, y, w, h = bounds
        cls = "s call" if kind == "callActivity" else "s"
        if element.get("triggeredByEvent") == "true":
            cls += " sub-event"
        parts = [f'<rect class="{cls}" x="{x}" y="{y}" width="{w}" height="{h}" rx="10"/>']
        if kind == "transaction":
            parts.append(
                f'<rect class="m" x="{x + 3}" y="{y + 3}" width="{w - 6}" height="{h - 6}" rx="8"/>'
            )
        markers = self._markers(element, shape, kind)
        if markers:
            span = len(markers) * 14 + (len(markers) - 1) * 4
            mx, my = x + w / 2 - span / 2, y + h - 18
            parts += [bottom_marker(m, mx + i * 18, my) for i, m in enumerate(markers)]
        if self._expanded(shape):
            parts.append(text_block(x + 8, 0, name, w - 16, 12, "tlabel", "start", top=y + 4))
            return "".join(parts)
        icon = task_icon(kind, x, y)
        bottom = y + h - (20 if markers else 4)
        size = 12
        for size in (12, 11, 10):  # shrink before growing past the box
            if len(wrap(name, w - 14, size)) * size * 1.25 <= bottom - y - (8 if icon else 4):
                break
        middle = (y + (8 if icon else 4) + bottom) / 2 + (4 if icon else 0)
        parts.append(text_block(x + w / 2, middle, name, w - 14, size, "tlabel"))
        parts.append(icon)
        return "".join(parts)

    def _markers(self, element, shape, kind: str) -> list[str]:
        """The markers at an activity's bottom edge, left to right as bpmn.io places them."""
        found = []
        if element.find("bpmn:standardLoopCharacteristics", NS) is not None:
            found.append("loop")
        multi = element.find("bpmn:multiInstanceLoopCharacteristics", NS)
        if multi is not None:
            found.append("sequential" if multi.get("isSequential") == "true" else "parallel")
        if element.get("isForCompensation") == "true":
            found.append("compensation")
        if kind == "adHocSubProcess":
            found.append("adhoc")
        if kind in ("callActivity", "subProcess", "transaction", "adHocSubProcess"):
            if not self._expanded(shape):
                found.append("collapsed")
        return found

    def _event(self, element, kind: str, bounds) -> str:
        x, y, w, h = bounds
        cx, cy, r = x + w / 2, y + h / 2, w / 2
        width = "ev-end" if kind == "endEvent" else "ev"
        dash = ' stroke-dasharray="5 3"' if element.get("cancelActivity") == "false" else ""
        dash = dash or (
            ' stroke-dasharray="5 3"' if element.get("isInterrupting") == "false" else ""
        )
        parts = [f'<circle class="s {width}" cx="{cx}" cy="{cy}" r="{r}"{dash}/>']
        if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
            parts.append(f'<circle class="m" cx="{cx}" cy="{cy}" r="{r - 3}"{dash}/>')
        throw = kind in ("endEvent", "intermediateThrowEvent")
        for definition in (
            c for c in element if in_bpmn(c) and local(c).endswith("EventDefinition")
        ):
            parts.append(event_icon(local(definition)[:-15], cx, cy, throw))
        return "".join(parts)

    def _data(self, element, kind: str, bounds) -> str:
        x, y, w, h = bounds
        if kind == "dataStoreReference":  # a cylinder
            d = (
                f"M{x},{y + 8} a{w / 2},8 0 0,0 {w},0 a{w / 2},8 0 0,0 -{w},0 v{h - 16} "
                f"a{w / 2},8 0 0,0 {w},0 v-{h - 16}"
            )
            return f'<path class="s" d="{d}"/>'
        body = f'<path class="s" d="M{x},{y} h{w - 10} l10,10 v{h - 10} h-{w} z"/>'
        if kind in ("dataInput", "dataOutput"):
            body += data_arrow(x, y, kind == "dataOutput")
        target = self.by_id.get(element.get("dataObjectRef")) if kind != "dataObject" else element
        collection = element.get("isCollection") == "true" or (
            target is not None and target.get("isCollection") == "true"
        )
        if collection:
            body += bottom_marker("parallel", x + w / 2 - 7, y + h - 14)
        return body

    def _gateway(self, kind: str, bounds) -> str:
        x, y, w, h = bounds
        cx, cy = x + w / 2, y + h / 2
        diamond = f'<path class="s" d="M{cx},{y} L{x + w},{cy} L{cx},{y + h} L{x},{cy} z"/>'
        return diamond + gateway_mark(kind, cx, cy, w * 0.2)

    def _outer_label(self, shape, name: str, bounds) -> None:
        label = _bounds(shape.find("bpmndi:BPMNLabel", NS))
        x, y, w, h = bounds
        if label is None or label[2] < 1:
            label = (x + w / 2 - 45, y + h + 4, 90, 28)
        lx, ly, lw, lh = label
        lines = len(wrap(name, max(lw, 60) + 4, 11))
        self.label_bottom[shape.get("bpmnElement")] = ly + lh / 2 + lines * 7
        self.late.append(text_block(lx + lw / 2, ly + lh / 2, name, max(lw, 60) + 4, 11, "flabel"))

    def _decorations(self, element_id: str, state: str, bounds) -> str:
        x, y, w, h = bounds
        parts = []
        if state in STATE_WORDS:
            parts.append(badge(state, x + w - 2, y + 2))
        note = self.overlay.notes.get(element_id)
        if note:
            nw = text_width(note, 11) + 12
            below = self.label_bottom.get(element_id, y + h)
            ny = max(below, y + h) + 4
            self.late.append(
                f'<g class="note"><rect x="{x + w / 2 - nw / 2:.1f}" y="{ny}" width="{nw:.1f}" height="18" rx="4"/>'
                f'<text x="{x + w / 2:.1f}" y="{ny + 13}" text-anchor="middle">{esc(note)}</text></g>'
            )
        count = self.overlay.counts.get(element_id)
        if count:
            parts.append(
                f'<g class="count"><circle cx="{x + w}" cy="{y}" r="12"/>'
                f'<text x="{x + w}" y="{y + 4}" text-anchor="middle">{count}</text></g>'
            )
        return "".join(parts)

    # -- edges ----------------------------------------------------------------------------

    def _edge(self, edge) -> None:
        element = self.by_id.get(edge.get("bpmnElement"))
        points = [
            (float(p.get("x", 0)), float(p.get("y", 0))) for p in edge.iterfind("di:waypoint", NS)
        ]
        if element is None or len(points) < 2:
            return
        kind = local(element)
        d = "M" + " L".join(f"{px},{py}" for px, py in points)
        states = self.overlay.states
        taken = (
            kind == "sequenceFlow"
            and states.get(element.get("sourceRef")) == "done"
            and states.get(element.get("targetRef")) in ("done", "active", "waiting")
        )
        if kind == "sequenceFlow":
            marker = f"{self.prefix}-taken" if taken else f"{self.prefix}-end"
            cls = "f taken" if taken else "f"
            extra = self._flow_start(element, points)
            self.out.append(
                f'<g data-element="{esc(element.get("id") or "")}"><path class="{cls}" d="{d}" '
                f'marker-end="url(#{marker})"/>{extra}</g>'
            )
        elif kind == "messageFlow":
            self.out.append(
                f'<path class="f msg" d="{d}" marker-end="url(#{self.prefix}-open)"/>'
                f'<circle class="s" cx="{points[0][0]}" cy="{points[0][1]}" r="4"/>'
            )
        else:
            arrow = (
                f' marker-end="url(#{self.prefix}-open)"'
                if kind in ("dataInputAssociation", "dataOutputAssociation")
                else ""
            )
            self.out.append(f'<path class="assoc" d="{d}"{arrow}/>')
        name = " ".join((element.get("name") or "").split())
        if name:
            label = _bounds(edge.find("bpmndi:BPMNLabel", NS))
            if label is None or label[2] < 1:
                (ax, ay), (bx, by) = points[len(points) // 2 - 1], points[len(points) // 2]
                label = ((ax + bx) / 2 - 30, (ay + by) / 2 - 16, 60, 14)
            lx, ly, lw, lh = label
            self.late.append(
                text_block(lx + lw / 2, ly + lh / 2, name, max(lw, 50) + 6, 11, "flabel")
            )

    def _flow_start(self, element, points) -> str:
        (ax, ay), (bx, by) = points[0], points[1]
        length = max(((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5, 1)
        ux, uy = (bx - ax) / length, (by - ay) / length
        source = self.by_id.get(element.get("sourceRef"))
        if source is not None and source.get("default") == element.get("id"):
            mx, my = ax + ux * 10, ay + uy * 10
            return (
                f'<path class="m" d="M{mx - uy * 6 - ux * 4:.1f},{my + ux * 6 - uy * 4:.1f} '
                f'L{mx + uy * 6 + ux * 4:.1f},{my - ux * 6 + uy * 4:.1f}"/>'
            )
        if element.find("bpmn:conditionExpression", NS) is not None and local(source) in ACTIVITIES:
            px, py = -uy, ux
            pts = [(ax, ay), (ax + ux * 8 + px * 5, ay + uy * 8 + py * 5)]
            pts += [(ax + ux * 16, ay + uy * 16), (ax + ux * 8 - px * 5, ay + uy * 8 - py * 5)]
            return '<path class="s" d="M' + " L".join(f"{a:.1f},{b:.1f}" for a, b in pts) + ' z"/>'
        return ""
