"""Drawings of port graphs: SVG written by hand (deterministic), PNG through matplotlib.

The graph domain's ``draw`` (behind ``framework dsl draw``) and its reporter
(``drawings/g<g>/<id>.svg``, every survivor after each generation) both draw here.
The reporter's drawings carry a caption: the candidate's id, program and scores,
and which other members of the generation build the same graph but for port labels.

The layout is fixed by the graph alone: nodes on a circle in creation order
(node 0 at the top, clockwise), so two drawings of one graph are byte-equal.
Node labels are creation ids; each edge is labelled ``id:port``. Parallel
edges between one pair of nodes bend apart so every label stays readable.
"""

from __future__ import annotations

import math
import textwrap
from html import escape
from typing import Any, Mapping, Sequence

from framework import PortGraph, UsageError, hookimpl
from framework.store import read_jsonl, write_text_atomic

_SIZE = 480
_RADIUS = 180
_NODE_RADIUS = 16
_BEND = 28
_LINE = 16  # caption line height
_CAPTION_WIDTH = 72  # characters per caption line (a program wraps at spaces)


def layout(graph: PortGraph) -> dict[int, tuple[float, float]]:
    """Node id -> (x, y): a circle in creation order, node 0 at the top."""
    nodes = graph.node_ids
    centre = _SIZE / 2
    return {
        node: (
            round(centre + _RADIUS * math.sin(2 * math.pi * k / len(nodes)), 2),
            round(centre - _RADIUS * math.cos(2 * math.pi * k / len(nodes)), 2),
        )
        for k, node in enumerate(nodes)
    }


def _edge_curves(graph: PortGraph):
    """(edge_id, port, start, control, end) per undirected edge; parallel edges bend apart."""
    positions = layout(graph)
    by_pair: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for edge_id, u, v, port in graph.undirected_edges:
        by_pair.setdefault((u, v), []).append((edge_id, port))
    for (u, v), parallel in sorted(by_pair.items()):
        (x1, y1), (x2, y2) = positions[u], positions[v]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        nx, ny = -(y2 - y1) / length, (x2 - x1) / length
        for k, (edge_id, port) in enumerate(parallel):
            offset = (k - (len(parallel) - 1) / 2) * _BEND * 2
            control = (round((x1 + x2) / 2 + nx * offset, 2), round((y1 + y2) / 2 + ny * offset, 2))
            yield edge_id, port, (x1, y1), control, (x2, y2)


def port_graph_svg(graph: PortGraph, title: str = "", caption: Sequence[str] = (), *,
                   node_fill: Mapping[int, str] | None = None, edge_stroke: Mapping[int, str] | None = None) -> str:
    """A standalone SVG document of ``graph``, with the ``caption`` lines above it; ``node_fill`` /
    ``edge_stroke`` colour nodes and edges by id (``framework probe`` colours them by importance)."""
    node_fill, edge_stroke = node_fill or {}, edge_stroke or {}
    top = len(caption) * _LINE + 8 if caption else 0
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_SIZE}" height="{_SIZE + top}" '
        f'viewBox="0 0 {_SIZE} {_SIZE + top}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title or f'port graph: {graph.size} nodes, next_id {graph.next_id}')}</title>",
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    lines += [f'<text x="8" y="{(i + 1) * _LINE}" font-weight="{"bold" if i == 0 else "normal"}">'
              f"{escape(text)}</text>" for i, text in enumerate(caption)]  # the first line names the drawing
    if top:
        lines.append(f'<g transform="translate(0 {top})">')
    for edge_id, port, (x1, y1), (cx, cy), (x2, y2) in _edge_curves(graph):
        lx, ly = (x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4  # the curve's midpoint
        stroke = f'"{edge_stroke[edge_id]}" stroke-width="4"' if edge_id in edge_stroke else '"#555"'
        lines.append(f'<path d="M {x1} {y1} Q {cx} {cy} {x2} {y2}" fill="none" stroke={stroke}/>')
        label = f'<text x="{lx:.2f}" y="{ly:.2f}" text-anchor="middle"'
        # a white halo, then the label over it (two elements: not every renderer knows paint-order)
        lines.append(f'{label} fill="white" stroke="white" stroke-width="3">{edge_id}:{port}</text>')
        lines.append(f'{label} fill="#a33">{edge_id}:{port}</text>')
    for node, (x, y) in layout(graph).items():
        fill = node_fill.get(node, "#cde")
        lines.append(f'<circle cx="{x}" cy="{y}" r="{_NODE_RADIUS}" fill="{fill}" stroke="#234"/>')
        lines.append(f'<text x="{x}" y="{y + 4}" text-anchor="middle">{node}</text>')
    if top:
        lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _png_bytes(graph: PortGraph, title: str) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    figure, axes = plt.subplots(figsize=(5, 5), dpi=100)
    try:
        axes.set_xlim(0, _SIZE)
        axes.set_ylim(_SIZE, 0)
        axes.set_axis_off()
        if title:
            axes.set_title(title if len(title) <= 70 else title[:67] + "...", fontsize=8)
        for edge_id, port, start, control, end in _edge_curves(graph):
            path = MplPath([start, control, end], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3])
            axes.add_patch(PathPatch(path, fill=False, edgecolor="#555"))
            lx = (start[0] + 2 * control[0] + end[0]) / 4
            ly = (start[1] + 2 * control[1] + end[1]) / 4
            axes.text(lx, ly, f"{edge_id}:{port}", ha="center", va="center", color="#a33",
                      fontsize=8, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        for node, (x, y) in layout(graph).items():
            axes.add_patch(plt.Circle((x, y), _NODE_RADIUS, facecolor="#cde", edgecolor="#234"))
            axes.text(x, y, str(node), ha="center", va="center", fontsize=9)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()
    finally:
        plt.close(figure)


#: Drawing formats by file suffix.
FORMATS = {"svg": lambda graph, title: port_graph_svg(graph, title).encode("utf-8"), "png": _png_bytes}


def drawing_bytes(graph: PortGraph, title: str = "", format: str = "svg") -> bytes:
    """``graph`` drawn as ``format`` (``"svg"`` or ``"png"``)."""
    draw = FORMATS.get(format)
    if draw is None:
        raise UsageError(f"cannot draw to {format or 'a file without suffix'!r}; valid: {', '.join(FORMATS)}")
    return draw(graph, title)


def importance_svg(graph: PortGraph, importance: Mapping[tuple[str, int], float], title: str = "") -> bytes:
    """``graph`` with each ``("node" | "edge", id)`` of ``importance`` (0 to 1) shaded from white to red."""
    shade = {key: _shade(value) for key, value in importance.items()}
    return port_graph_svg(graph, title, node_fill={i: c for (kind, i), c in shade.items() if kind == "node"},
                          edge_stroke={i: c for (kind, i), c in shade.items() if kind == "edge"}).encode("utf-8")


def _shade(x: float) -> str:
    level = round(255 * (1 - min(max(x, 0.0), 1.0)))
    return f"#ff{level:02x}{level:02x}"

def without_ports(graph: PortGraph) -> tuple[Any, ...]:
    """``graph`` with its port labels forgotten: two graphs equal here differ at most in ports."""
    return graph.next_id, graph.size, tuple((e, u, v) for e, u, v, _ in graph.undirected_edges)


def member_caption(member: dict[str, Any], generation: int, port_twins: Sequence[str] = ()) -> list[str]:
    """The caption of a population member's drawing: id, program, scores, port-label twins."""
    scores = member.get("scores") or {}
    status = "kept" if member.get("kept") else "discarded"
    lines = [f"{member['id']}: generation {generation}, rank {member.get('rank', '-')}, {status}"]
    lines += textwrap.wrap(f"program: {member['program']}", _CAPTION_WIDTH, subsequent_indent="  ",
                           break_long_words=True, break_on_hyphens=False)
    if scores.get("failed"):
        lines.append(f"failed: {scores['failed']}")
    elif scores:
        figures = [("selection score", member.get("selection")), ("train", scores.get("train_accuracy")),
                   ("select", scores.get("select_accuracy")), ("eval", scores.get("eval_accuracy"))]
        lines.append(", ".join(f"{name} {value:.3f}" for name, value in figures if value is not None)
                     + " (accuracy)")
    if port_twins:
        lines.append(f"same graph as {', '.join(port_twins)} but for port labels")
    lines.append("nodes: creation ids; edges: id:port")
    return lines


@hookimpl
def on_generation_end(event):
    """``drawings/g<g>/<id>.svg`` for every survivor of the generation, captioned."""
    path = event.run_dir.population(event.generation)
    population = read_jsonl(path) if path.exists() else []
    graphs = {m["id"]: PortGraph.from_json(m["graph"]) for m in population}
    for member in population:
        if not member["kept"]:
            continue
        graph = graphs[member["id"]]
        twins = [other for other, g in graphs.items()
                 if other != member["id"] and g != graph and without_ports(g) == without_ports(graph)]
        caption = member_caption(member, event.generation, twins)
        write_text_atomic(event.run_dir.drawing(event.generation, member["id"]),
                          port_graph_svg(graph, title=f"{member['id']}: {member['program']}", caption=caption))
