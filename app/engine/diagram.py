"""The pathway as a diagram, generated from the loaded rules: SVG (drawn here), Graphviz DOT, Mermaid.

Three columns: the questions in the order they are asked (each with when it is asked), the
determinations, and the actions. An arrow means "is read by": a question's answer read by a
determination or an action's condition, a determination read by an action, an action whose
listing another action reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from .conditions import to_text
from .graph import listed_action
from .rulebook import Action, Case, Determination, Question, Rulebook


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # question | determination | action
    label: str
    detail: str
    source: str


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # reads | asks


def graph(book: Rulebook) -> tuple[list[Node], list[Edge]]:
    """The diagram's nodes (questions in order, determinations, actions) and its arrows, from the rule
    graph: what decides whether each question is asked, and what each determination and action reads
    (flags are not drawn)."""
    nodes = [*(_question_node(q) for q in book.questions), *(_determination_node(d) for d in book.determinations),
             *(_action_node(a) for a in book.actions)]
    reads = book.graph.reads
    edges: set[Edge] = set()
    for node in nodes:
        kind = "asks" if node.kind == "question" else "reads"
        for ref in reads[node.id]:
            source = listed_action(ref) or ref
            fact = book.facts.get(source)
            if fact is None or fact.kind != "flag":
                edges.add(Edge(source, node.id, kind))
    return nodes, sorted(edges, key=lambda e: (e.source, e.target, e.kind))


def _question_node(q: Question) -> Node:
    return Node(q.id, "question", q.short, f"Asked when: {to_text(q.ask_when)}", q.source)


def _determination_node(d: Determination) -> Node:
    detail = "; ".join((f"when {to_text(c.when)}: " if c.when else "") + _case_result(c) for c in d.cases)
    return Node(d.id, "determination", d.label, detail, d.source)


def _case_result(case: Case) -> str:
    rule = case.logic or case.condition
    return to_text(rule) if rule else str(case.value)


def _action_node(a: Action) -> Node:
    urgency = ", ".join(f"{u.level} when {to_text(u.when)}" if u.when else f"otherwise {u.level}" for u in a.urgency)
    return Node(a.id, "action", a.title, f"Due when: {to_text(a.due)}. Urgency: {urgency}.", a.source)


def to_dot(book: Rulebook) -> str:
    nodes, edges = graph(book)
    shapes = {"question": "box", "determination": "ellipse", "action": "note"}
    lines = ["digraph pathway {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for kind, title in (("question", "Questions"), ("determination", "Determinations"), ("action", "Actions")):
        lines.append(f"  subgraph cluster_{kind} {{")
        lines.append(f'    label="{title}";')
        for n in nodes:
            if n.kind == kind:
                lines.append(f'    "{n.id}" [shape={shapes[kind]}, label="{_dot(n.label)}", '
                             f'tooltip="{_dot(n.detail)}"];')
        lines.append("  }")
    for e in edges:
        style = ', style=dashed, color="#505a5f"' if e.kind == "asks" else ""
        lines.append(f'  "{e.source}" -> "{e.target}"{style};')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_mermaid(book: Rulebook) -> str:
    nodes, edges = graph(book)
    brackets = {"question": ('["', '"]'), "determination": ('(["', '"])'), "action": ('[["', '"]]')}
    lines = ["flowchart LR"]
    for kind, title in (("question", "Questions"), ("determination", "Determinations"), ("action", "Actions")):
        lines.append(f"  subgraph {kind}s [{title}]")
        for n in nodes:
            if n.kind == kind:
                left, right = brackets[kind]
                lines.append(f"    {n.id}{left}{n.label.replace(chr(34), '#quot;')}{right}")
        lines.append("  end")
    for e in edges:
        arrow = "-.->" if e.kind == "asks" else "-->"
        lines.append(f"  {e.source} {arrow} {e.target}")
    return "\n".join(lines) + "\n"


COLUMN_X = {"question": 60, "determination": 430, "action": 820}
COLUMN_W = {"question": 260, "determination": 300, "action": 330}
FILL = {"question": "#f3f2f1", "determination": "#d2e2f1", "action": "#cce2d8"}
ROW = 40
BOX = 30
TOP = 50


def to_svg(book: Rulebook, *, link_prefix: str = "#node-") -> str:
    """A self-contained SVG (no scripts, no style attributes), each node linked to its text and source."""
    nodes, edges = graph(book)
    columns: dict[str, list[Node]] = {"question": [], "determination": [], "action": []}
    for n in nodes:
        columns[n.kind].append(n)
    rows = max(len(v) for v in columns.values())
    height = TOP + rows * ROW + 20
    width = COLUMN_X["action"] + COLUMN_W["action"] + 50
    pos: dict[str, tuple[float, float, str]] = {}
    for kind, items in columns.items():
        offset = (rows - len(items)) * ROW / 2
        for i, n in enumerate(items):
            pos[n.id] = (COLUMN_X[kind], TOP + offset + i * ROW, kind)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="group" aria-labelledby="pathway-diagram-title pathway-diagram-desc" '
        'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="pathway-diagram-title">The pathway for {escape(book.version)}</title>',
        '<desc id="pathway-diagram-desc">Questions on the left in the order they are asked, determinations in '
        "the middle, actions on the right. Arrows show which answers and determinations each one reads; dashed "
        "arrows show what decides whether a question is asked.</desc>",
    ]
    for kind, title in (("question", "Questions (in order)"), ("determination", "Determinations"),
                        ("action", "Actions")):
        out.append(f'<text x="{COLUMN_X[kind]}" y="28" font-weight="bold" font-size="14" fill="#0b0c0c">'
                   f"{title}</text>")
    out.append('<g fill="none" stroke-width="1">')
    for e in edges:
        if e.source not in pos or e.target not in pos:
            continue
        sx, sy, skind = pos[e.source]
        tx, ty, tkind = pos[e.target]
        if e.kind == "asks":
            if skind != "question":
                continue  # asking that depends on a determination is spelt out in the node's text
            x1, y1, x2, y2 = sx, sy + BOX / 2, tx, ty + BOX / 2
            bend = min(55.0, 12 + abs(y2 - y1) / 8)
            out.append(f'<path d="M{x1},{y1} C{x1 - bend},{y1} {x2 - bend},{y2} {x2},{y2}" stroke="#505a5f" '
                       'stroke-dasharray="3 3"/>')
            continue
        x1 = sx + COLUMN_W[skind]
        y1 = sy + BOX / 2
        x2 = tx
        y2 = ty + BOX / 2
        if skind == tkind:  # action reads another action: loop round the right-hand side
            x1 = sx + COLUMN_W[skind]
            x2 = tx + COLUMN_W[tkind]
            out.append(f'<path d="M{x1},{y1} C{x1 + 40},{y1} {x2 + 40},{y2} {x2},{y2}" stroke="#1d70b8"/>')
            continue
        mid = (x1 + x2) / 2
        colour = "#1d70b8" if skind == "determination" else "#8a9096"
        out.append(f'<path d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}" stroke="{colour}" '
                   'stroke-opacity="0.6"/>')
    out.append("</g>")
    for n in nodes:
        x, y, kind = pos[n.id]
        w = COLUMN_W[kind]
        limit = COLUMN_W[kind] // 7
        label = n.label if len(n.label) <= limit else n.label[: limit - 1] + "…"
        out.append(
            f'<a href="{link_prefix}{escape(n.id)}"><title>{escape(n.label)}. '
            f"Source: {escape(n.source)}</title>"
            f'<rect x="{x}" y="{y}" width="{w}" height="{BOX}" rx="{8 if kind == "determination" else 2}" '
            f'fill="{FILL[kind]}" stroke="#0b0c0c"/>'
            f'<text x="{x + 8}" y="{y + 19}" fill="#0b0c0c">{escape(label)}</text></a>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
