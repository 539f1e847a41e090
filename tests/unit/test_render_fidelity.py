"""Renderer fidelity against how bpmn.io draws the same files: vertical pools and lanes, expanded
containers, markers, task icons, the event-based gateway, data input/output, every diagram of a
file, wrapped labels and planes that still name an old process id."""

import re
from pathlib import Path

import pytest
from lxml import etree

from app.engine.diagram import NS, parse_xml
from app.engine.render import diagrams, render

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "bpmn"
CORPUS = ROOT.parent / "shared" / "bpmn-corpus" / "camunda"
SVG = "{http://www.w3.org/2000/svg}"
FIDELITY = {"fidelity.bpmn": (FIXTURES / "bpmnio_fidelity.bpmn").read_text(encoding="utf-8")}
TASKS = (
    "sendTask",
    "receiveTask",
    "manualTask",
    "businessRuleTask",
    "scriptTask",
    "userTask",
    "serviceTask",
)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*?\sstyle\s*=", re.S)


def tree(svg: str) -> etree._Element:
    root = etree.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg"
    assert not STYLE_ATTRIBUTE.search(svg)  # CSS classes only (the CSP allows no style=)
    return root


def groups(root) -> dict[str, etree._Element]:
    return {g.get("data-element"): g for g in root.iter(f"{SVG}g") if g.get("data-element")}


def with_class(element, cls: str) -> list[etree._Element]:
    return [e for e in element.iter() if cls in (e.get("class") or "").split()]


def order(root) -> list[str]:
    return [g.get("data-element") for g in root.iter(f"{SVG}g") if g.get("data-element")]


@pytest.fixture(scope="module")
def main():
    return tree(render(FIDELITY, "fidelity"))


def test_vertical_pools_and_lanes_have_their_name_on_top_unrotated(main):
    bands = [g for g in main.iter(f"{SVG}g") if "vertical" in (g.get("class") or "").split()]
    assert len(bands) == 3  # the pool and its two lanes
    for band in bands:
        box, head = band.findall(f"{SVG}rect")[:2]
        x, y, w = (float(box.get(k)) for k in ("x", "y", "width"))
        assert (float(head.get("y")), float(head.get("height"))) == (y, 30.0)
        assert float(head.get("width")) == w  # the header spans the top, not the left side
        assert not band.xpath(".//*[@transform]")  # not rotated like a horizontal band
        spans = band.findall(f".//{SVG}tspan")
        assert spans and all(y < float(s.get("y")) <= y + 30 for s in spans)
        assert all(float(s.get("x")) == pytest.approx(x + w / 2, abs=0.1) for s in spans)
    names = ["".join(b.itertext()) for b in bands]
    assert names == ["縦のプール（申込の受付）", "申込者", "システム"]


def test_horizontal_lanes_still_rotate_their_name_in_a_left_header():
    files = {"two.bpmn": (FIXTURES / "camunda7_review_two_pools.bpmn").read_text(encoding="utf-8")}
    root = tree(render(files, "review"))
    lanes = [g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("lane-g")]
    assert lanes and all("rotate(-90)" in etree.tostring(g).decode() for g in lanes)


def test_the_shapes_inside_expanded_containers_are_drawn_after_them(main):
    drawn = order(main)
    for inner in ("sub_start", "sub_task", "sub_end"):
        assert drawn.index("sub_expanded") < drawn.index(inner)
    assert drawn.index("call_expanded") < drawn.index("note_inside")
    edges = {g.get("data-element") for g in main.iter(f"{SVG}g")}
    assert {"sf1", "sf2"} <= edges
    # an expanded container has its name at the top-left and no collapsed (+) marker
    container = groups(main)["sub_expanded"]
    assert container.find(f".//{SVG}text").get("text-anchor") == "start"
    assert not with_class(container, "marker-collapsed")
    assert with_class(groups(main)["sub_collapsed"], "marker-collapsed")


def test_the_standard_loop_marker_is_one_circular_arrow(main):
    task = groups(main)["t_loop"]
    (marker,) = with_class(task, "marker-loop")
    paths = marker.findall(f"{SVG}path")
    assert len(paths) == 1 and " A" in paths[0].get("d")  # an arc, not three bars
    assert not with_class(task, "marker-parallel") and not with_class(task, "marker-sequential")


def test_each_task_type_has_its_own_icon(main):
    by_kind = {g.get("data-kind"): g for g in groups(main).values()}
    shapes = {}
    for kind in TASKS:
        (icon,) = with_class(by_kind[kind], f"icon-{kind}")
        # the icon's drawing relative to its own corner, so equal icons would compare equal
        x = float(by_kind[kind].find(f"{SVG}rect").get("x"))
        y = float(by_kind[kind].find(f"{SVG}rect").get("y"))
        shapes[kind] = re.sub(
            r"-?\d+(?:\.\d+)?",
            lambda m, x=x, y=y: "n",
            "".join(f"{c.tag}{c.get('class')}{c.get('d') or ''}" for c in icon),
        )
        assert x and y
    assert len(set(shapes.values())) == len(TASKS), shapes
    assert not with_class(by_kind["task"], "icon")  # a plain task carries no icon


def test_the_event_based_gateway_has_a_pentagon_in_a_double_circle(main):
    gateway = groups(main)["gw_event"]
    (pentagon,) = with_class(gateway, "pentagon")
    points = re.findall(r"(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)", pentagon.get("d"))
    assert len(points) == 5 and pentagon.get("d").rstrip().endswith("z")
    assert len(gateway.findall(f"{SVG}circle")) == 2


def test_data_inputs_and_outputs_carry_their_arrows(main):
    elements = groups(main)
    assert with_class(elements["in_form"], "data-input")
    assert with_class(elements["out_id"], "data-output")
    assert not with_class(elements["in_form"], "data-output")


def test_long_labels_wrap_onto_several_lines_instead_of_being_cut(main):
    name = parse_xml(FIDELITY["fidelity.bpmn"]).find(".//bpmn:task[@id='t_long']", NS).get("name")
    text = groups(main)["t_long"].find(f"{SVG}text")
    spans = text.findall(f"{SVG}tspan")
    assert len(spans) >= 4
    assert "".join(s.text for s in spans) == name and "…" not in name


def test_every_diagram_of_a_file_is_listed_and_drawn():
    refs = diagrams(FIDELITY)
    assert [(r.diagram, r.primary) for r in refs] == [
        ("BPMNDiagram_main", True),
        ("BPMNDiagram_sub", False),
    ]
    assert [r.name for r in refs] == ["全体", "別の図のサブプロセス"]
    assert all(r.processes == ("fidelity",) for r in refs)
    inner = groups(tree(render(FIDELITY, "fidelity", diagram="BPMNDiagram_sub")))
    assert {"inner_start", "inner_task"} <= set(inner) and "t_send" not in inner
    # without a choice the process's own plane is drawn, not the sub-process's
    assert "t_send" in groups(tree(render(FIDELITY, "fidelity")))


def test_a_plane_that_still_names_an_old_process_id_draws_its_shapes():
    files = {"old.bpmn": (FIXTURES / "old_process_id.bpmn").read_text(encoding="utf-8")}
    (ref,) = diagrams(files)
    assert ref.plane == "Process_1" and ref.processes == ("renamed_process",)
    elements = groups(tree(render(files, "renamed_process")))
    assert {"s", "t", "e", "f1", "f2"} <= set(elements)


def test_markers_sit_side_by_side_below_the_label_in_the_corpus():
    path = CORPUS / "platform" / "nested-call-activities.bpmn"
    elements = groups(tree(render({path.name: path.read_text(encoding="utf-8")})))
    call = elements["loop-marker-call-activity"]
    loop, collapsed = with_class(call, "marker-loop")[0], with_class(call, "marker-collapsed")[0]
    box = float(collapsed.find(f"{SVG}rect").get("x"))
    arc = [float(v) for v in re.findall(r"M(-?\d+(?:\.\d+)?),", loop.find(f"{SVG}path").get("d"))]
    assert abs(box - min(arc)) >= 10  # not on top of each other
    label_bottom = max(float(s.get("y")) for s in call.findall(f".//{SVG}tspan"))
    assert label_bottom <= float(collapsed.find(f"{SVG}rect").get("y"))
    assert with_class(elements["para-multi-instance-call"], "marker-parallel")
    assert with_class(elements["seq-multi-instance"], "marker-sequential")
    # the expanded sub-processes show what is inside them, nested two deep
    drawn = order(tree(render({path.name: path.read_text(encoding="utf-8")})))
    assert drawn.index("expanded-subprocess") < drawn.index("nested-subprocess")
    assert drawn.index("nested-subprocess") < drawn.index("double-nested-call-activity")


CORPUS_FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".bpmn", ".xml"))


@pytest.mark.skipif(not CORPUS_FILES, reason="the shared Camunda corpus is not on this machine")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_every_diagram_of_the_camunda_corpus_draws_every_shape(path):
    files = {path.name: path.read_text(encoding="utf-8")}
    root = parse_xml(files[path.name])
    for ref in diagrams(files):
        plane = root.findall("bpmndi:BPMNDiagram", NS)[ref.index].find("bpmndi:BPMNPlane", NS)
        wanted = {
            s.get("bpmnElement")
            for s in plane.iterfind("bpmndi:BPMNShape", NS)
            if root.xpath(f'//*[@id="{s.get("bpmnElement")}"]')
        }
        drawn = groups(tree(render(files, diagram=ref.diagram)))
        bands = {"participant", "lane"}
        kinds = {s: etree.QName(root.xpath(f'//*[@id="{s}"]')[0]).localname for s in wanted}
        assert {s for s in wanted if kinds[s] not in bands} <= set(drawn), ref
