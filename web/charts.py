"""Inline SVG: line charts by round, the corridor map, and the join link's QR code.

Each returns markup ready for a template (`Markup`); every text in it is escaped here.
"""

from __future__ import annotations

from html import escape
from typing import Any

import qrcode  # type: ignore[import-untyped]
import qrcode.image.svg  # type: ignore[import-untyped]
from markupsafe import Markup

from web.format import fmt
from web.i18n import _


def line_chart(
    title: str,
    series: list[tuple[str, str, list[float]]],
    *,
    width: int = 320,
    height: int = 150,
    refs: list[tuple[str, str, float]] | None = None,
) -> Markup:
    """A small line chart, one line per series (name, colour, values by round), and
    `refs`: dashed horizontal lines (name, colour, value), a threshold or a BATNA."""
    points = [v for _n, _c, values in series for v in values]
    if not points:
        return Markup("")
    refs = refs or []
    top = max(max(points), *(r[2] for r in refs), 1e-9)
    n = max(len(values) for _n, _c, values in series)
    left, right, up, down = 36, 8, 10, 22
    w, h = width - left - right, height - up - down

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (w * i / (n - 1) if n > 1 else w / 2)
        return round(x, 1), round(up + h - h * v / top, 1)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{up + h}" x2="{left + w}" y2="{up + h}" class="axis"/>',
        f'<text x="{left - 4}" y="{up + 8}" class="tick" text-anchor="end">{fmt(top)}</text>',
        f'<text x="{left - 4}" y="{up + h}" class="tick" text-anchor="end">0</text>',
    ]
    for i in range(n):
        x, _y = xy(i, 0)
        parts.append(
            f'<text x="{x}" y="{height - 6}" class="tick" text-anchor="middle">R{i + 1}</text>'
        )
    for name, colour, value in refs:
        _x, y = xy(0, value)
        parts.append(
            f'<line x1="{left}" y1="{y}" x2="{left + w}" y2="{y}" class="ref" '
            f'stroke="{escape(colour)}"><title>{escape(name)}: {fmt(value, 1)}</title></line>'
        )
    for name, colour, values in series:
        coords = " ".join(f"{x},{y}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{escape(colour)}" '
            f'stroke-width="2.5"><title>{escape(name)}</title></polyline>'
        )
        for i, v in enumerate(values):
            x, y = xy(i, v)
            parts.append(
                f'<circle cx="{x}" cy="{y}" r="3" fill="{escape(colour)}">'
                f"<title>{escape(name)} R{i + 1}: {fmt(v, 1)}</title></circle>"
            )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{escape(c)}"></span>{escape(nm)}</li>'
        for nm, c, _v in series
    ) + "".join(
        f'<li><span class="swatch dashed" style="border-color:{escape(c)}"></span>{escape(nm)}</li>'
        for nm, c, _v in refs
    )
    return Markup(
        f'<figure class="chart-box"><figcaption>{escape(title)}</figcaption>{"".join(parts)}'
        f'<ul class="legend">{legend}</ul></figure>'
    )


def corridor_map(v: dict[str, Any]) -> Markup:
    """Each corridor as origin → transit → destination, with last round's flows to scale."""
    teams = {t["id"]: t for t in v["teams"]}
    last = v["history"][-1] if v["history"] else None
    rows = []
    flows_all: list[float] = []
    for c in v["corridors"]:
        f = (last or {}).get("corridors", {}).get(c["id"], {})
        flows_all += [f.get(k, 0) for k in ("arrived", "legal", "returns", "blocked", "died")]
    biggest = max([*flows_all, 1.0])
    scale = 28 / biggest  # px of line width per person
    width, row_h = 640, 250
    for i, c in enumerate(v["corridors"]):
        y0 = i * row_h
        f = (last or {}).get("corridors", {}).get(c["id"], {})
        xs = {"origin": 70, "transit": 320, "destination": 570}
        node_y = y0 + 115
        out = []

        def flow(
            x1: float,
            x2: float,
            dy: float,
            value: float,
            cls: str,
            text: str,
            label_dy: float,
            ny: float = node_y,
        ) -> str:
            sw = max(1.0, value * scale)
            y = ny + dy
            return (
                f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" class="flow {cls}" '
                f'stroke-width="{sw:.1f}"><title>{escape(text)}</title></line>'
                f'<text x="{(x1 + x2) / 2}" y="{ny + label_dy:.1f}" text-anchor="middle" '
                f'class="flow-label">{escape(text)}</text>'
            )

        if f:
            attempts = f.get("arrived", 0) + f.get("blocked", 0) + f.get("died", 0)
            o, t, d = xs["origin"], xs["transit"], xs["destination"]
            legal = f.get("legal", 0)
            returns = f.get("returns", 0)
            out += [
                flow(o, t, 0, attempts, "irregular", f"{fmt(attempts)} set out", 40),
                flow(
                    t,
                    d,
                    0,
                    f.get("arrived", 0),
                    "irregular",
                    f"{fmt(f.get('arrived', 0))} arrived",
                    40,
                ),
                flow(o, d, -70, legal, "legal", f"{fmt(legal)} legal migrants", -90),
                flow(d, o, 80, returns, "returns", f"{fmt(returns)} returned", 112),
                f'<text x="{t}" y="{node_y + 40}" text-anchor="middle" class="flow-note">'
                f"{fmt(f.get('blocked', 0))} {escape(_('blocked'))}</text>"
                f'<text x="{t}" y="{node_y + 56}" text-anchor="middle" class="flow-note">'
                f"{fmt(f.get('died', 0))} {escape(_('died'))}</text>",
            ]
        for role in ("origin", "transit", "destination"):
            if not c.get(role):
                continue  # a direct corridor: no transit country
            t = teams.get(c[role], {"name": c[role], "colour": "#555"})
            x = xs[role]
            out.append(
                f'<circle cx="{x}" cy="{node_y}" r="16" fill="{escape(t["colour"] or "#555")}" '
                f'stroke="#fff" stroke-width="3"/>'
                f'<text x="{x}" y="{node_y - 26}" text-anchor="middle" class="node">'
                f"{escape(t['name'])}</text>"
            )
        rows.append(
            f'<text x="8" y="{y0 + 18}" class="corridor-name">{escape(c["name"])}</text>'
            + "".join(out)
        )
    height = row_h * max(1, len(v["corridors"]))
    caption = (
        _(
            "Flows of round {r}; line width to scale (thickest = {n} people).",
            r=last["round"],
            n=fmt(biggest),
        )
        if last
        else _("No flows yet: the first round has not been resolved.")
    )
    return Markup(
        f'<figure class="map"><svg viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_("Corridor map"))}"><title>{escape(_("Corridor map"))}</title>'
        f"{''.join(rows)}</svg><figcaption>{escape(caption)}</figcaption></figure>"
    )


def qr_svg(url: str) -> Markup:
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg = img.to_string(encoding="unicode")
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(_("QR code"))}" ', 1)
    return Markup(svg)


Mark = tuple[str, str, float, float]
"""A labelled point of a gain chart: label, kind (signed, nash, ks), x, y."""


def gain_chart(
    title: str,
    x_label: str,
    y_label: str,
    cloud: list[tuple[float, float]],
    frontier: list[tuple[float, float]],
    marks: list[Mark],
    *,
    width: int = 340,
    height: int = 260,
) -> Markup:
    """The deals of two parties' space in their gains over their BATNAs: every deal a dot,
    the Pareto frontier a line, the signed deals and the Nash and KS points labelled; the
    axes cross at no deal (0, 0). Scales to its box (viewBox): a phone or a projector."""
    xs = [p[0] for p in (*cloud, *frontier)] + [m[2] for m in marks] + [0.0]
    ys = [p[1] for p in (*cloud, *frontier)] + [m[3] for m in marks] + [0.0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 - x0 < 1e-9:
        x0, x1 = x0 - 1, x1 + 1
    if y1 - y0 < 1e-9:
        y0, y1 = y0 - 1, y1 + 1
    left, right, up, down = 40, 12, 12, 36
    w, h = width - left - right, height - up - down

    def px(x: float, y: float) -> tuple[float, float]:
        return (
            round(left + w * (x - x0) / (x1 - x0), 1),
            round(up + h - h * (y - y0) / (y1 - y0), 1),
        )

    ox, oy = px(0, 0)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" class="chart gains" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{oy}" x2="{left + w}" y2="{oy}" class="axis"/>',
        f'<line x1="{ox}" y1="{up}" x2="{ox}" y2="{up + h}" class="axis"/>',
        f'<text x="{left}" y="{up + h + 14}" class="tick">{fmt(x0, 1)}</text>',
        f'<text x="{left + w}" y="{up + h + 14}" class="tick" text-anchor="end">'
        f"{fmt(x1, 1)}</text>",
        f'<text x="{left - 4}" y="{up + 8}" class="tick" text-anchor="end">{fmt(y1, 1)}</text>',
        f'<text x="{left - 4}" y="{up + h}" class="tick" text-anchor="end">{fmt(y0, 1)}</text>',
        f'<text x="{left + w / 2}" y="{height - 4}" class="axis-label" text-anchor="middle">'
        f"{escape(x_label)}</text>",
        f'<text x="10" y="{up + h / 2}" class="axis-label" text-anchor="middle" '
        f'transform="rotate(-90 10 {up + h / 2})">{escape(y_label)}</text>',
    ]
    parts += ['<circle cx="{}" cy="{}" r="1.6" class="deal"/>'.format(*px(x, y)) for x, y in cloud]
    if frontier:
        line = " ".join("{},{}".format(*px(x, y)) for x, y in sorted(frontier))
        parts.append(f'<polyline points="{line}" class="frontier"/>')
        parts += [
            '<circle cx="{}" cy="{}" r="3" class="front-point"/>'.format(*px(x, y))
            for x, y in frontier
        ]
    for n, (label, kind, x, y) in enumerate(marks):
        cx, cy = px(x, y)
        tip = f"<title>{escape(label)}: {fmt(x, 1)}, {fmt(y, 1)}</title>"
        if kind == "signed":
            shape = f'<circle cx="{cx}" cy="{cy}" r="6" class="mark-signed">{tip}</circle>'
        elif kind == "nash":
            d = f"M{cx},{cy - 7} L{cx + 7},{cy} L{cx},{cy + 7} L{cx - 7},{cy} Z"
            shape = f'<path d="{d}" class="mark-nash">{tip}</path>'
        else:
            shape = (
                f'<rect x="{cx - 5}" y="{cy - 5}" width="10" height="10" class="mark-ks">'
                f"{tip}</rect>"
            )
        anchor = "end" if cx > left + w * 0.7 else "start"
        dx = -9 if anchor == "end" else 9
        parts.append(
            f'{shape}<text x="{cx + dx}" y="{cy - 8 + 12 * (n % 2)}" class="mark-label" '
            f'text-anchor="{anchor}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup(
        f'<figure class="chart-box gain-chart"><figcaption>{escape(title)}</figcaption>'
        f"{''.join(parts)}</figure>"
    )


def trust_grid(title: str, names: list[str], matrix: list[list[float | None]]) -> Markup:
    """One round's trust as a small heat map: row trusts column, 0 (pale) to 100 (dark),
    the value in each cell. Teams are numbered on the axes (the names are in the key)."""
    n = len(names)
    cell, pad = 34, 18
    size = pad + cell * n
    parts = [
        f'<svg viewBox="0 0 {size} {size}" class="chart trust-grid" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i in range(n):
        parts.append(
            f'<text x="{pad + cell * i + cell / 2}" y="12" class="tick" text-anchor="middle">'
            f"{i + 1}</text>"
            f'<text x="9" y="{pad + cell * i + cell / 2 + 4}" class="tick" '
            f'text-anchor="middle">{i + 1}</text>'
        )
        for j in range(n):
            v = matrix[i][j]
            x, y = pad + cell * j, pad + cell * i
            if v is None:
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" class="self"/>'
                )
                continue
            shade = round(95 - 0.6 * max(0.0, min(100.0, v)))
            ink = "#fff" if shade < 60 else "#111"
            tip = f"{escape(names[i])} → {escape(names[j])}: {fmt(v)}"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                f'fill="hsl(215 60% {shade}%)"><title>{tip}</title></rect>'
                f'<text x="{x + cell / 2 - 1}" y="{y + cell / 2 + 4}" text-anchor="middle" '
                f'class="cell" fill="{ink}">{fmt(v)}</text>'
            )
    parts.append("</svg>")
    return Markup(
        f'<figure class="chart-box trust-box"><figcaption>{escape(title)}</figcaption>'
        f"{''.join(parts)}</figure>"
    )
