"""The server-side SVG renderer: every diagram of bpmn/, overlays, modelers' files, the corpus."""

import time
from pathlib import Path

import pytest
from lxml import etree

from app.engine.diagram import NS, parse_xml, processes
from app.engine.render import Overlay, RenderError, diagrams, render
from app.engine.render_parts import steps_svg, wrap

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"
CORPUS = ROOT.parent / "shared" / "bpmn-corpus" / "camunda"
SVG = "{http://www.w3.org/2000/svg}"
FILES = {p.name: p.read_text(encoding="utf-8") for p in sorted(BPMN_DIR.glob("*.bpmn"))}
PROCESSES = [p.id for p in processes({n: parse_xml(t) for n, t in FILES.items()})]


def drawn(svg: str) -> dict[str, etree._Element]:
    root = etree.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg"
    return {g.get("data-element"): g for g in root.iter(f"{SVG}g") if g.get("data-element")}


@pytest.mark.parametrize("process_id", PROCESSES)
def test_every_repository_diagram_is_drawn_whole(process_id):
    svg = render(FILES, process_id, Overlay(lane_labels={"applicant": "申込者 (applicant)"}))
    elements = drawn(svg)
    ref = next(r for r in diagrams(FILES) if process_id in r.processes)
    root = parse_xml(FILES[ref.file])
    shapes = {s.get("bpmnElement") for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement") for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    process = next(p for p in processes({ref.file: root}) if p.id == process_id)
    assert set(process.nodes) <= shapes
    assert set(process.nodes) <= set(elements), set(process.nodes) - set(elements)
    assert set(process.flows) <= edges and set(process.flows) <= set(elements)
    for node in process.nodes.values():
        for line in wrap(node.name, 86, 12):
            assert line.rstrip("…") in svg, line
    if "applicant" in process.lanes.values():
        assert "申込者 (applicant)" in svg
    assert "<script" not in svg and 'href="http' not in svg  # nothing runs, nothing is fetched


def test_overlay_shows_states_due_times_counts_and_links():
    overlay = Overlay(
        states={"call_signup": "done", "call_detail_entry": "active"},
        notes={"provisional_expiry": "期限 2026/12/03 10:00"},
        counts={"call_review": 3},
        links={"call_review": "/analyst/versions/1?process=review"},
    )
    overlay.states.update({"provisional_expiry": "waiting", "setup_deadline": "cancelled"})
    svg = render(FILES, "naccs_application", overlay)
    elements = drawn(svg)
    assert elements["call_signup"].get("data-state") == "done"
    assert elements["call_detail_entry"].get("data-state") == "active"
    assert elements["provisional_expiry"].get("data-state") == "waiting"
    assert elements["setup_deadline"].get("data-state") == "cancelled"
    assert "期限 2026/12/03 10:00" in svg
    review = elements["call_review"]
    assert review.getparent().tag == f"{SVG}a"
    assert review.getparent().get("href") == "/analyst/versions/1?process=review"
    assert "3" in "".join(review.itertext()) and "3件" in review.findtext(f"{SVG}title")
    # The flow from a done element into the active one is drawn as taken.
    assert (
        'class="f taken"' in etree.tostring(elements["flow_call_signup_call_detail_entry"]).decode()
    )


def test_two_pools_with_a_message_flow_as_camunda_modeler_saves_them():
    files = {"two.bpmn": (FIXTURES / "camunda7_review_two_pools.bpmn").read_text(encoding="utf-8")}
    ref = diagrams(files)[0]
    assert set(ref.processes) == {"Process_1customer", "review"}
    svg = render(files, "review")
    assert "お客様（申込者）" in svg and "審査" in svg and "問い合わせ" in svg
    assert 'class="f msg"' in svg  # the message flow between the pools
    boundary = drawn(svg)["Event_0reminder"]
    assert 'stroke-dasharray="5 3"' in etree.tostring(boundary).decode()  # non-interrupting
    assert render(files, "Process_1customer") == svg  # one plane shows both pools


def test_bpmn_io_prefixes_and_text_annotations():
    files = {"io.bpmn": (FIXTURES / "bpmnio_signup.bpmn").read_text(encoding="utf-8")}
    svg = render(files, "signup")
    assert "仮パスワードは" in svg and "メールでのみ送る" in svg
    assert "TextAnnotation_0b9l3qe" in drawn(svg)
    assert 'class="assoc"' in svg


def test_diagram_without_di_cannot_be_drawn():
    text = FILES["review.bpmn"]
    no_di = text[: text.index("<bpmndi:BPMNDiagram")] + "</bpmn:definitions>"
    with pytest.raises(RenderError):
        render({"review.bpmn": no_di}, "review")


def test_japanese_and_latin_text_wrap_inside_a_task():
    assert wrap("申込内容の確認・システム設定の申込", 86, 12) == [
        "申込内容の確認・",
        "システム設定の",
        "申込",
    ]
    assert wrap("Review job role description", 86, 12) == ["Review job", "role", "description"]
    assert wrap("入力内容の確認（bpmn.io で編集）", 86, 12)[1].startswith("（")


def test_the_largest_diagram_renders_fast():
    start = time.perf_counter()
    for _ in range(10):
        render(FILES, "naccs_application")
    assert (time.perf_counter() - start) / 10 < 0.2


def test_applicant_steps_are_a_simple_chain():
    svg = steps_svg(
        [("仮アカウント申込", "done"), ("審査", "active"), ("利用開始", "")], "進み具合"
    )
    root = etree.fromstring(svg.encode())
    states = [g.get("data-state") for g in root.iter(f"{SVG}g") if g.get("data-step")]
    assert states == ["done", "active", ""]
    assert "現在" in svg and "済" in svg


CORPUS_FILES = sorted(CORPUS.glob("*/*")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason=f"BPMN corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_diagrams_render(path):
    if path.suffix not in (".bpmn", ".xml"):
        pytest.skip("not a diagram")
    files = {path.name: path.read_text(encoding="utf-8")}
    refs = diagrams(files)
    if not refs:
        with pytest.raises(RenderError):
            render(files)
        return
    for ref in refs:
        elements = drawn(render(files, ref.processes[0]))
        assert elements, ref
