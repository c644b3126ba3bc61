"""A one-file HTML picture of the loop: reviews per 100 items and accuracy over the rounds.

Plain HTML with inline SVG: no plotting library, no script, opens anywhere.
"""

from __future__ import annotations

import html
from pathlib import Path

from hitl_agent.demo.figures import TERMS, DemoResult

WIDTH, HEIGHT, PAD = 520, 300, 44


def _chart(title: str, series: dict[str, list[float]], colours: list[str], y_max: float,
           unit: str) -> str:
    n = max(len(v) for v in series.values())
    x_step = (WIDTH - 2 * PAD) / max(n - 1, 1)
    bottom = HEIGHT - 30 - 16 * len(series)  # the x axis; round labels and the legend below

    def xy(i: int, v: float) -> tuple[float, float]:
        return PAD + i * x_step, bottom - (bottom - PAD) * min(v, y_max) / y_max

    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
             f'role="img" aria-label="{html.escape(title)}">',
             f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold">'
             f'{html.escape(title)}</text>']
    for k in range(5):
        value = y_max * k / 4
        _, y = xy(0, value)
        parts.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{PAD - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                     f'{value:g}{unit}</text>')
    for i in range(n):
        x, _ = xy(i, 0)
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" '
                     f'font-size="11">round {i + 1}</text>')
    for (name, values), colour in zip(series.items(), colours, strict=False):
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in
                                                           enumerate(values)))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" '
                     f'points="{points}"/>')
        for i, v in enumerate(values):
            x, y = xy(i, v)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                         f'<title>{html.escape(name)}, round {i + 1}: {v:.1f}{unit}</title>'
                         '</circle>')
    for j, ((name, _), colour) in enumerate(zip(series.items(), colours, strict=False)):
        y = bottom + 40 + 16 * j
        parts.append(f'<rect x="{PAD}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{PAD + 14}" y="{y}" font-size="11">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_report(result: DemoResult, path: Path) -> Path:
    rounds = result.rounds
    reviews = _chart("Reviews per 100 items", {
        "reviewed per 100": [r.reviewed_per_100 for r in rounds],
        "answered from memory per 100": [100 * r.from_memory / r.items for r in rounds],
    }, ["#c0392b", "#8e44ad"], 100.0, "")
    accuracy = _chart("Accuracy and accepted error (%)", {
        "final accuracy (with people)": [100 * r.final_accuracy for r in rounds],
        "model accuracy on held-out digits": [100 * r.model_accuracy for r in rounds],
        "accepted error": [100 * r.accepted_error for r in rounds],
    }, ["#27ae60", "#2980b9", "#e67e22"], 100.0, "%")
    head = ("<tr><th>round</th><th>items</th><th>reviewed per 100</th><th>from memory</th>"
            "<th>accepted error</th><th>final accuracy</th><th>model</th><th>threshold</th>"
            "<th>guarantee</th><th>index size</th><th>rows exported</th></tr>")
    rows = "\n".join(
        f"<tr><td>{r.round}</td><td>{r.items}</td><td>{r.reviewed_per_100:.1f}</td>"
        f"<td>{r.from_memory}</td><td>{100 * r.accepted_error:.1f}%</td>"
        f"<td>{100 * r.final_accuracy:.1f}%</td><td>{r.model_version} "
        f"({100 * r.model_accuracy:.1f}%)</td>"
        f"<td>{'' if r.threshold is None else f'{r.threshold:.3f}'}</td>"
        f"<td>{html.escape(r.guarantee)}</td><td>{r.index_size}</td>"
        f"<td>{r.rows_exported}</td></tr>" for r in rounds)
    terms = "".join(f"<dt>{html.escape(term)}</dt><dd>{html.escape(meaning)}</dd>"
                    for term, meaning in TERMS)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hitl-agent demo: the feedback loop</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
.charts{{display:flex;flex-wrap:wrap;gap:1em}}</style></head><body>
<h1>The feedback loop, round by round</h1>
<p>{sum(r.items for r in rounds)} digits in {len(rounds)} rounds; data folder
<code>{html.escape(result.data)}</code>; {result.seconds:.1f} s.</p>
<div class="charts">{reviews}{accuracy}</div>
<table>{head}{rows}</table>
<dl>{terms}</dl>
<p>The model after the last round ({result.final_model_version}) scores
{100 * result.final_model_accuracy:.1f}% on {result.held_out_items} held-out digits.</p>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
