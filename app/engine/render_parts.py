"""SVG building blocks for the diagram renderer: style, text wrapping, icons, badges, steps."""

import base64
import hashlib
import html
import math
import re
import unicodedata

STATE_WORDS = {"done": "完了", "active": "処理中", "waiting": "期限待ち", "cancelled": "取消"}
FONT = '"Noto Sans CJK JP","Noto Sans JP","Hiragino Sans","Yu Gothic",Meiryo,sans-serif'
INK = "#22313f"
STYLE = f"""
.bp text{{font-family:{FONT};fill:#1d2733}}
.bp .s{{fill:#fff;stroke:{INK};stroke-width:1.5}}
.bp .pool{{fill:#fff;stroke:{INK};stroke-width:1.5}} .bp .lane{{fill:none;stroke:{INK};stroke-width:1}}
.bp .head{{fill:#f2f5f8;stroke:{INK};stroke-width:1}}
.bp .f{{fill:none;stroke:{INK};stroke-width:1.5}} .bp .msg{{stroke-dasharray:7 4}}
.bp .assoc{{fill:none;stroke:#5b6570;stroke-dasharray:2 3}} .bp .taken{{stroke:#1e7b34;stroke-width:2.5}}
.bp .m{{fill:none;stroke:{INK};stroke-width:1.5}} .bp .mf{{fill:{INK};stroke:none}}
.bp .done .s{{fill:#e6f4ea;stroke:#1e7b34;stroke-width:2}}
.bp .active .s{{fill:#dbeafe;stroke:#0b5cad;stroke-width:3.5}}
.bp .waiting .s{{fill:#fff1cc;stroke:#a05a00;stroke-width:3.5}}
.bp .cancelled .s{{fill:#eeeeee;stroke:#7a7a7a;stroke-dasharray:5 3}}
.bp .note rect{{fill:#fff1cc;stroke:#a05a00}} .bp .note text{{font-size:11px;font-weight:bold}}
.bp .count circle{{fill:#0b5cad}} .bp .count text{{fill:#fff;font-size:12px;font-weight:bold}}
.bp .badge-done{{fill:#1e7b34}} .bp .badge-active{{fill:#0b5cad}} .bp .badge-waiting{{fill:#a05a00}}
.bp .badge-cancelled{{fill:#7a7a7a}} .bp .badge-mark{{fill:none;stroke:#fff;stroke-width:2}}
.bp a:hover .s{{stroke:#0b5cad}} .bp .flabel{{font-size:11px}} .bp .tlabel{{font-size:12px}}
.bp .s.call{{stroke-width:4}} .bp .s.ev{{stroke-width:1.5}} .bp .s.ev-end{{stroke-width:4}}
.bp .m.gear{{stroke-width:3.5;stroke-dasharray:2.4 2.3}} .bp .m.thick{{stroke-width:3.5}}
.bp .m.ring{{stroke-width:3}} .bp .m.wf{{fill:#fff}} .bp .m.ws{{stroke:#fff}}
.bp .word{{font-size:12px;font-weight:bold}} .bp .word-done{{fill:#1e7b34}}
.bp .s.sub-event{{stroke-dasharray:4 3}} .bp .head-v{{fill:#f2f5f8;stroke:{INK};stroke-width:1}}
.bp .word-active,.bp .word-waiting{{fill:#0b5cad}} .bp .word-cancelled{{fill:#b3261e}}
"""
# The SVG carries its own stylesheet (it is also saved as a file); the Content-Security-Policy
# allows exactly this <style> by its hash, and the SVG uses no style attributes.
STYLE_SHA256 = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
NO_LINE_START = set("、。，．）」』】・ーぁぃぅぇぉっゃゅょァィゥェォッャュョ")
NO_LINE_END = set("（「『【")


def esc(value: object) -> str:
    """Text or attribute value for hand-built markup: &, <, >, " and ' escaped."""
    return html.escape(str(value), quote=True)


def char_width(ch: str) -> float:
    """Width of one character in ems: CJK full width, everything else about half."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.58


def text_width(text: str, size: float) -> float:
    return sum(char_width(c) for c in text) * size


def wrap(text: str, width: float, size: float, max_lines: int = 12) -> list[str]:
    """Break text into lines that fit `width` px: Latin words stay whole, CJK breaks anywhere.

    Long labels wrap onto more lines (as bpmn.io does); only a runaway text is cut with "…".
    """
    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        current = ""
        for token in re.findall(r"[A-Za-z0-9_.,:;/()\-]+|\s+|.", paragraph):
            fits = text_width(current + token, size) <= width
            if fits or not current.strip() or token[0] in NO_LINE_START:
                current += token
            else:
                carry = current[-1] if current[-1] in NO_LINE_END else ""
                lines.append(current[: len(current) - len(carry)].rstrip())
                current = carry + token.lstrip()
        lines.append(current.rstrip())
    lines = [line for line in lines if line] or [""]
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [lines[max_lines - 1][:-1] + "…"]
    return lines


def text_block(
    cx: float,
    cy: float,
    text: str,
    width: float,
    size: float,
    cls: str,
    anchor: str = "middle",
    top: float | None = None,
) -> str:
    """Multi-line text centred around (cx, cy), or hanging from `top` when given."""
    lines = wrap(text, width, size)
    step = size * 1.25
    first = (top + size) if top is not None else cy - step * (len(lines) - 1) / 2 + size * 0.35
    spans = "".join(
        f'<tspan x="{cx:.1f}" y="{first + i * step:.1f}">{esc(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="{esc(cls)}" text-anchor="{esc(anchor)}">{spans}</text>'


def _envelope(x: float, y: float, filled: bool) -> str:
    body, flap = ("mf", "m ws") if filled else ("m", "m")
    return (
        f'<rect class="{body}" x="{x}" y="{y}" width="18" height="12"/>'
        f'<path class="{flap}" d="M{x},{y} L{x + 9},{y + 7} L{x + 18},{y}"/>'
    )


def _icon_body(kind: str, x: float, y: float) -> str:
    if kind == "userTask":
        return (
            f'<circle class="m" cx="{x + 15}" cy="{y + 11}" r="4"/>'
            f'<path class="m" d="M{x + 7},{y + 25} q8,-14 16,0 z"/>'
        )
    if kind == "serviceTask":
        return (
            f'<circle class="m gear" cx="{x + 15}" cy="{y + 15}" r="6"/>'
            f'<circle class="m" cx="{x + 15}" cy="{y + 15}" r="2.5"/>'
        )
    if kind == "scriptTask":
        return (
            f'<path class="m" d="M{x + 9},{y + 7} h12 v16 h-12 z '
            f'M{x + 12},{y + 12} h6 M{x + 12},{y + 17} h6"/>'
        )
    if kind == "sendTask":
        return _envelope(x + 6, y + 8, True)
    if kind == "receiveTask":
        return _envelope(x + 6, y + 8, False)
    if kind == "manualTask":  # an open hand: palm and four fingers
        return (
            f'<path class="m" d="M{x + 6},{y + 14} h4 M{x + 8},{y + 10} h9 M{x + 8},{y + 14} h11 '
            f'M{x + 8},{y + 18} h10 M{x + 8},{y + 22} h8 M{x + 6},{y + 12} v10 h4"/>'
        )
    if kind == "businessRuleTask":  # a table with a header row
        return (
            f'<rect class="m" x="{x + 6}" y="{y + 8}" width="18" height="14"/>'
            f'<rect class="mf" x="{x + 6}" y="{y + 8}" width="18" height="4"/>'
            f'<path class="m" d="M{x + 6},{y + 17} h18 M{x + 11},{y + 12} v10"/>'
        )
    return ""


def task_icon(kind: str, x: float, y: float) -> str:
    """The type icon at a task's top-left corner, one distinct icon per task type."""
    body = _icon_body(kind, x, y)
    return f'<g class="icon icon-{esc(kind)}">{body}</g>' if body else ""


def loop_marker(x: float, y: float) -> str:
    """bpmn.io's standard-loop marker: one circular arrow in a 14 px box at (x, y)."""
    cx, cy = x + 7, y + 7
    d = (
        f"M{cx - 4:.1f},{cy + 4:.1f} A5.5,5.5 0 1,1 {cx + 4:.1f},{cy + 4:.1f} "
        f"M{cx - 4:.1f},{cy + 4:.1f} l-3.5,-0.5 M{cx - 4:.1f},{cy + 4:.1f} l0.5,-3.5"
    )
    return f'<g class="marker marker-loop"><path class="m" d="{d}"/></g>'


def bottom_marker(name: str, x: float, y: float) -> str:
    """One of the markers centred at an activity's bottom edge, in a 14 px box at (x, y)."""
    if name == "loop":
        return loop_marker(x, y)
    if name in ("parallel", "sequential"):
        d = "".join(
            f"M{x + 2},{y + 2 + i * 5} h10 "
            if name == "sequential"
            else f"M{x + 2 + i * 5},{y + 2} v10 "
            for i in range(3)
        )
        return f'<g class="marker marker-{name}"><path class="m" d="{d}"/></g>'
    if name == "collapsed":
        return (
            f'<g class="marker marker-collapsed"><rect class="m" x="{x}" y="{y}" width="14" height="14"/>'
            f'<path class="m" d="M{x + 3},{y + 7} h8 M{x + 7},{y + 3} v8"/></g>'
        )
    if name == "adhoc":
        d = f"M{x + 1},{y + 8} q3,-5 6,0 t6,0"
        return f'<g class="marker marker-adhoc"><path class="m" d="{d}"/></g>'
    if name == "compensation":
        d = f"M{x + 7},{y + 2} l-6,5 l6,5 z M{x + 13},{y + 2} l-6,5 l6,5 z"
        return f'<g class="marker marker-compensation"><path class="m" d="{d}"/></g>'
    return ""


def data_arrow(x: float, y: float, output: bool) -> str:
    """The arrow of a data input (hollow) or output (filled) at a data object's top-left."""
    d = f"M{x + 4},{y + 7} h6 v-4 l6,6 l-6,6 v-4 h-6 z"
    cls = "mf" if output else "m"
    return f'<path class="{cls} data-{"output" if output else "input"}" d="{d}"/>'


def gateway_mark(kind: str, cx: float, cy: float, k: float) -> str:
    if kind == "exclusiveGateway":
        d = f"M{cx - k},{cy - k} L{cx + k},{cy + k} M{cx + k},{cy - k} L{cx - k},{cy + k}"
        return f'<path class="m thick" d="{d}"/>'
    if kind == "parallelGateway":
        d = f"M{cx},{cy - k * 1.3} v{k * 2.6} M{cx - k * 1.3},{cy} h{k * 2.6}"
        return f'<path class="m thick" d="{d}"/>'
    if kind == "inclusiveGateway":
        return f'<circle class="m ring" cx="{cx}" cy="{cy}" r="{k * 1.2}"/>'
    if kind == "eventBasedGateway":  # double circle around a pentagon, as bpmn.io draws it
        points = [
            (
                cx + k * 0.95 * math.sin(2 * math.pi * i / 5),
                cy - k * 0.95 * math.cos(2 * math.pi * i / 5),
            )
            for i in range(5)
        ]
        d = "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in points) + " z"
        return (
            f'<circle class="m" cx="{cx}" cy="{cy}" r="{k * 1.6:.1f}"/>'
            f'<circle class="m" cx="{cx}" cy="{cy}" r="{k * 1.35:.1f}"/>'
            f'<path class="m pentagon" d="{d}"/>'
        )
    if kind == "complexGateway":  # an asterisk
        r = k * 1.2
        d = f"M{cx},{cy - r} v{2 * r} M{cx - r},{cy} h{2 * r} "
        d += f"M{cx - r * 0.7:.1f},{cy - r * 0.7:.1f} L{cx + r * 0.7:.1f},{cy + r * 0.7:.1f} "
        d += f"M{cx + r * 0.7:.1f},{cy - r * 0.7:.1f} L{cx - r * 0.7:.1f},{cy + r * 0.7:.1f}"
        return f'<path class="m thick" d="{d}"/>'
    return ""


def badge(state: str, cx: float, cy: float) -> str:
    """A small round state mark at an element's top-right corner."""
    marks = {
        "done": f"M{cx - 4},{cy} l3,3 l5,-6",
        "active": f"M{cx - 3},{cy - 4} l6,4 l-6,4 z",
        "waiting": f"M{cx},{cy - 5} v5 h4",
        "cancelled": f"M{cx - 4},{cy - 4} l8,8 M{cx + 4},{cy - 4} l-8,8",
    }
    return (
        f'<circle class="badge-{state}" cx="{cx}" cy="{cy}" r="9"/>'
        f'<path class="badge-mark" d="{marks[state]}"/>'
    )


def event_icon(kind: str, cx: float, cy: float, throw: bool) -> str:
    cls = "mf" if throw else "m"
    if kind == "timer":
        rays = (
            (1, 0),
            (0, 1),
            (-1, 0),
            (0, -1),
            (0.7, 0.7),
            (-0.7, 0.7),
            (0.7, -0.7),
            (-0.7, -0.7),
        )
        ticks = "".join(
            f"M{cx + 8 * c:.1f},{cy + 8 * s:.1f} L{cx + 10 * c:.1f},{cy + 10 * s:.1f} "
            for c, s in rays
        )
        return (
            f'<circle class="m wf" cx="{cx}" cy="{cy}" r="11"/>'
            f'<path class="m" d="{ticks} M{cx},{cy} v-7 M{cx},{cy} l5,2"/>'
        )
    if kind == "terminate":
        return f'<circle class="mf" cx="{cx}" cy="{cy}" r="11"/>'
    if kind == "message":
        flap = "m ws" if throw else "m"
        return (
            f'<rect class="{cls}" x="{cx - 8}" y="{cy - 6}" width="16" height="12"/>'
            f'<path class="{flap}" d="M{cx - 8},{cy - 6} L{cx},{cy + 1} L{cx + 8},{cy - 6}"/>'
        )
    if kind == "signal":
        return f'<path class="{cls}" d="M{cx},{cy - 9} L{cx + 8},{cy + 6} L{cx - 8},{cy + 6} z"/>'
    if kind == "error":
        d = f"M{cx - 8},{cy + 8} L{cx - 3},{cy - 7} L{cx + 2},{cy + 2} L{cx + 8},{cy - 8} "
        d += f"L{cx + 3},{cy + 7} L{cx - 2},{cy - 2} z"
        return f'<path class="{cls}" d="{d}"/>'
    if kind == "conditional":
        d = f"M{cx - 6},{cy - 8} h12 v16 h-12 z M{cx - 3},{cy - 4} h6 M{cx - 3},{cy} h6 M{cx - 3},{cy + 4} h6"
        return f'<path class="m" d="{d}"/>'
    if kind in ("escalation", "link", "compensate", "cancel"):
        d = f"M{cx},{cy - 8} L{cx + 6},{cy + 7} L{cx},{cy + 2} L{cx - 6},{cy + 7} z"
        return f'<path class="{cls}" d="{d}"/>'
    return ""


STEP_COLORS = {
    "done": ("#e6f4ea", "#1e7b34"),
    "active": ("#dbeafe", "#0b5cad"),
    "waiting": ("#dbeafe", "#0b5cad"),
    "cancelled": ("#fdecea", "#b3261e"),
    "": ("#f6f8fa", "#8b96a1"),
}
STEP_WORDS = {"done": "済", "active": "現在", "waiting": "現在", "cancelled": "終了", "": ""}


def steps_svg(steps: list[tuple[str, str]], title: str) -> str:
    """A left-to-right chain of chevrons, one per stage: (label, done|active|waiting|cancelled|"")."""
    width, height, gap = 150, 64, 6
    total = max(len(steps), 1) * (width + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bp steps" viewBox="0 0 {total} {height + 24}" '
        f'width="100%" role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>'
        f"<style>{STYLE}</style>"
    ]
    for i, (label, state) in enumerate(steps):
        x = i * (width + gap)
        fill, stroke = STEP_COLORS.get(state, STEP_COLORS[""])
        tip = 0 if i == 0 else 14
        d = f"M{x},{2} h{width - 14} l14,{height / 2} l-14,{height / 2} h-{width - 14} l{tip},-{height / 2} z"
        weight = 3 if state in ("active", "waiting") else 1.5
        parts.append(
            f'<g data-step="{i}" data-state="{esc(state)}"><path d="{d}" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{weight}"/>'
            + text_block(x + width / 2 + 3, 2 + height / 2, label, width - 36, 12, "tlabel")
        )
        word = STEP_WORDS.get(state, "")
        if word:
            parts.append(
                f'<text class="word word-{esc(state)}" x="{x + width / 2}" y="{height + 20}" '
                f'text-anchor="middle">{word}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
