"""The port-graph drawer: a fixed circular layout, every edge labelled, SVG byte-stable, PNG, the reporter."""

from __future__ import annotations

import math
import re

import pytest

from framework import PortGraph, UsageError
from framework.events import GenerationEnd
from framework.run_dir import RunDir
from framework.run_state import RunState
from framework.store import write_jsonl_atomic
from framework_plugins.graph_domain import GraphDomain
from framework_plugins.graph_domain.drawing import drawing_bytes, layout, on_generation_end, port_graph_svg

#: Nodes 0, 1, 2; edge 3 joins 0-1, edges 4 and 5 join 1-2 (a parallel pair). Each edge is
#: listed at both ends as (node, port, edge id, other node), one port per edge.
GRAPH = PortGraph(edges=((0, 0, 3, 1), (1, 0, 3, 0), (1, 1, 4, 2), (2, 1, 4, 1), (1, 2, 5, 2), (2, 2, 5, 1)),
                  next_id=6, size=3)


def test_nodes_sit_on_a_circle_in_creation_order_from_the_top():
    positions = layout(GRAPH)
    assert list(positions) == list(GRAPH.node_ids)
    first = positions[GRAPH.node_ids[0]]
    assert first == (240.0, 60.0)  # the top of the circle
    for x, y in positions.values():
        assert math.hypot(x - 240, y - 240) == pytest.approx(180, abs=0.01)
    xs = [x for x, _ in positions.values()]
    assert xs[1] > 240 > xs[2]  # clockwise: the second node right of the top, the third left


def test_svg_labels_every_edge_and_node_and_is_byte_stable():
    svg = port_graph_svg(GRAPH, title="a <title>")
    assert svg == port_graph_svg(GRAPH, title="a <title>")
    assert "<title>a &lt;title&gt;</title>" in svg
    labels = re.findall(r"fill=\"#a33\">(\d+):(\d+)</text>", svg)
    assert sorted(labels) == sorted((str(e), str(p)) for e, _, _, p in GRAPH.undirected_edges)
    assert len(re.findall(r"<circle ", svg)) == GRAPH.size
    assert len(re.findall(r"<path ", svg)) == len(GRAPH.undirected_edges)


def test_parallel_edges_bend_apart():
    curves = re.findall(r'<path d="M ([\d.]+ [\d.]+) Q ([\d.]+ [\d.]+) ([\d.]+ [\d.]+)"', port_graph_svg(GRAPH))
    by_ends: dict[tuple[str, str], set[str]] = {}
    for start, control, end in curves:
        by_ends.setdefault((start, end), set()).add(control)
    assert sorted(len(controls) for controls in by_ends.values()) == [1, 2]  # the pair bends two ways


def test_png_and_unknown_formats():
    assert drawing_bytes(GRAPH, "t", "png").startswith(b"\x89PNG\r\n\x1a\n")
    assert drawing_bytes(GRAPH, "t", "svg") == port_graph_svg(GRAPH, "t").encode()
    with pytest.raises(UsageError, match="cannot draw to 'pdf'; valid: svg, png"):
        drawing_bytes(GRAPH, "t", "pdf")
    with pytest.raises(UsageError, match="a file without suffix"):
        drawing_bytes(GRAPH, "t", "")


def test_the_domain_draws_its_outputs():
    domain = GraphDomain()
    program = domain.grammar.parse("(push (add (connect identity)))")
    output = domain.evaluate(program, domain.grammar)
    assert domain.draw(output, "p") == port_graph_svg(output, "p").encode()


#: GRAPH with edge 3 on port 1 instead of 0: the same graph but for a port label.
PORT_TWIN = PortGraph(edges=((0, 1, 3, 1), (1, 1, 3, 0), (1, 1, 4, 2), (2, 1, 4, 1), (1, 2, 5, 2), (2, 2, 5, 1)),
                      next_id=6, size=3)


def test_the_reporter_draws_each_survivor_with_its_id_program_scores_and_port_twins(tmp_path):
    run_dir = RunDir(tmp_path)
    scores = {"train_accuracy": 0.875, "select_accuracy": 0.5, "eval_accuracy": 0.625, "failed": None}
    rows = [{"id": f"g0-00{i}", "rank": i, "kept": i < 2, "graph": (PORT_TWIN if i == 2 else GRAPH).to_json(),
             "program": f"(p{i} " + "(a long program" * 8 + ")", "selection": 0.5, "scores": scores}
            for i in range(3)]
    write_jsonl_atomic(run_dir.population(0), rows)
    on_generation_end(GenerationEnd(run_dir, 0, RunState("x")))
    assert sorted(p.name for p in run_dir.drawings(0).iterdir()) == ["g0-000.svg", "g0-001.svg"]
    svg = run_dir.drawing(0, "g0-001").read_text()
    caption = re.findall(r'<text x="8" y="\d+" font-weight="\w+">([^<]*)</text>', svg)
    assert caption[0] == "g0-001: generation 0, rank 1, kept"
    assert " ".join(line.strip() for line in caption if "program" in line or line.startswith("  ")) \
        == "program: " + rows[1]["program"]
    assert all(len(line) <= 72 for line in caption)
    assert "selection score 0.500, train 0.875, select 0.500, eval 0.625 (accuracy)" in caption
    assert "same graph as g0-002 but for port labels" in caption  # g0-000 is the same graph, ports too
    assert "nodes: creation ids; edges: id:port" in caption
    assert sorted(re.findall(r'fill="#a33">(\d+:\d+)</text>', svg)) == ["3:0", "4:1", "5:2"]
    on_generation_end(GenerationEnd(run_dir, 1, RunState("x")))  # no population yet: nothing drawn
    assert not run_dir.drawings(1).exists()


def test_dsl_draw_writes_the_domains_drawing_and_refuses_a_domain_that_cannot_draw(tmp_path, capsys, monkeypatch):
    from framework.cli import main

    program = "(push (add (connect identity)))"
    assert main(["dsl", "draw", program, "-o", str(tmp_path / "g.svg")]) == 0
    domain = GraphDomain()
    output = domain.evaluate(domain.grammar.parse(program), domain.grammar)
    assert (tmp_path / "g.svg").read_text() == port_graph_svg(output, program)
    assert main(["dsl", "draw", program, "-o", str(tmp_path / "g.pdf")]) == 2
    assert f"{tmp_path / 'g.pdf'}: cannot draw to 'pdf'; valid: svg, png" in capsys.readouterr().err
    monkeypatch.delattr(GraphDomain, "draw")
    assert main(["dsl", "draw", program, "-o", str(tmp_path / "h.svg")]) == 2
    assert "domain 'graph' cannot draw its outputs" in capsys.readouterr().err
    assert not (tmp_path / "h.svg").exists() and not (tmp_path / "g.pdf").exists()
