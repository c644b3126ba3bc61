"""The report folder: ``results.json``, ``report.md`` (with PNGs beside it) and a self-contained
``report.html`` (plots embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from hitl_agent.evals.plots import PLOTS


def _pct(x: Any, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100 * float(x):.{digits}f}%"


def _num(x: Any, digits: int = 3) -> str:
    return "n/a" if x is None else f"{float(x):.{digits}f}"


def _ci(m: dict[str, Any], fmt: Any = _pct) -> str:
    if m.get("value") is None:
        return "n/a"
    if m.get("low") is None:
        return fmt(m["value"])
    return f"{fmt(m['value'])} [{fmt(m['low'])}, {fmt(m['high'])}]"


def _money(x: Any) -> str:
    return "n/a" if x is None else f"{float(x):,.2f}"


def policy_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    head = ["run", "automation", "accepted error", "final accuracy", "reviews /100",
            "cost", "missed errors"]
    rows = []
    for name, p in results["policies"].items():
        rows.append([name, _ci(p["automation"]), _ci(p["accepted_error"], lambda v: _pct(v, 2)),
                     _ci(p["final_accuracy"], lambda v: _pct(v, 2)),
                     _num(p["reviews_per_100"]["value"], 1), _ci(p["cost"], _money),
                     _ci(p["missed_error_share"])])
    return head, rows


def score_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    head = ["scorer", "AUROC", "AUPRC", "AURC", "E-AURC", "ECE", "Brier", "error rate"]
    rows = []
    for name, s in results["scores"]["by_scorer"].items():
        auroc = _num(s.get("auroc"))
        if s.get("auroc_low") is not None:
            auroc += f" [{_num(s['auroc_low'])}, {_num(s['auroc_high'])}]"
        rows.append([name, auroc, _num(s.get("auprc")), _num(s.get("aurc"), 4),
                     _num(s.get("e_aurc"), 4), _num(s.get("ece")), _num(s.get("brier")),
                     _pct(s.get("error_rate"))])
    return head, rows


def guarantee_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    head = ["run", "alpha (δ)", "certified", "threshold", "certified bound",
            "realised error", "violation rate (resampled)", "coverage (resampled)"]
    rows = []
    for name, p in results["policies"].items():
        g = p.get("guarantee")
        if not g:
            continue
        r = g["resampled_calibration"]
        rows.append([name, f"{_pct(g['alpha'], 1)} ({g['delta']:g})", str(g["certified"]),
                     _num(g["threshold"], 4), _pct(g["certified_bound"], 2),
                     f"{_pct(g['realised_error'], 2)} of {g['realised_accepted']}",
                     f"{_pct(r.get('violation_rate'))} of {r.get('resamples', 0)}",
                     _pct(r.get("mean_coverage"))])
    return head, rows


def window_rows(results: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Per run: reviews per 100 items in each window (after a certified policy's calibration),
    first → last, and the accepted error over the run with its interval and its inverse-propensity
    estimate from the reviews alone."""
    head = ["run", "calibration reviews", "reviews /100 by window", "last / first",
            "accepted error", "accepted error (IPW from reviews)"]
    rows = []
    for name, p in results["policies"].items():
        w = p.get("windows")
        if not w:
            continue
        ipw = p.get("accepted_error_ipw") or {}
        ipw_text = "n/a" if ipw.get("value") is None else (
            f"{_pct(ipw['value'], 2)} ({ipw['audited']} audited of {ipw['population']})")
        rows.append([name, str(w["calibration_reviews"]),
                     " ".join(f"{v:.0f}" for v in w["reviews_per_100"]),
                     _num(w["last_over_first"], 2),
                     _ci(p["accepted_error"], lambda v: _pct(v, 2)), ipw_text])
    return head, rows


def feedback_lines(results: dict[str, Any]) -> list[str]:
    f = results.get("feedback_loop")
    if not f:
        return []
    lines = [f"Policy `{f['policy']}`, retraining every {f['retrain_every']} corrections, "
             f"windows of {f['window']} items."]
    for key in ("feedback_on", "feedback_off"):
        s = f.get(key)
        if not s:
            continue
        curve = ", ".join(f"{v:.0f}" for v in s["reviews_per_100"])
        lines.append(f"- {key.replace('_', ' ')}: reviews per 100 items, first window "
                     f"{s['first_window']:.1f}, last {s['last_window']:.1f} (last/first "
                     f"{_num(s['last_over_first'], 2)}); final accuracy "
                     f"{_pct(s['final_accuracy'], 2)}; curve: {curve}")
    if "last_window_on_over_off" in f:
        lines.append(f"- last window, feedback on / off: {_num(f['last_window_on_over_off'], 2)}"
                     f"; both runs at ≥ 99% final accuracy: {f['both_at_least_99']}")
    return lines


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _sections(results: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(title, kind, content): kind is 'table', 'lines' or 'text'."""
    s, t = results["suite"], results["timing"]
    intro = (f"Suite **{s['name']}**: {s['description']}  \nData: {s['data']}; "
             f"{s['stream']} items streamed per run ({s['train']} for training). "
             f"Scorers: {', '.join(s['scorers'])}. Reviewers: error rate "
             f"{s['reviewers']['error_rate']:g}, automation bias "
             f"{s['reviewers']['automation_bias']:g}, {s['reviewers']['task_count']} per item, "
             f"cost {s['reviewers']['cost_per_review']:g} per answer.")
    sections: list[tuple[str, str, Any]] = [
        ("Summary", "text", intro),
        ("Policies (95% bootstrap intervals)", "table", policy_rows(results)),
        (f"Uncertainty scores (run `{results['scores']['run']}`)", "table",
         score_rows(results)),
    ]
    windows = window_rows(results)
    if windows[1]:
        sections.append((f"Reviews by window of {results['suite']['feedback']['window']} items",
                         "table", windows))
    g = guarantee_rows(results)
    if g[1]:
        sections.append(("Guaranteed thresholds", "table", g))
    fb = feedback_lines(results)
    if fb:
        sections.append(("Feedback loop", "lines", fb))
    timing = [f"{t['items_streamed']} items through the graph in {t['graph_s']:.1f} s "
              f"({t['items_per_second']:.1f} items/s); total {t['seconds']:.1f} s "
              f"(prepare {t['prepare_s']:.1f} s, retraining {t['retrain_s']:.1f} s, "
              f"metrics {t.get('metrics_s', 0):.1f} s)."]
    timing += [f"Note: {n}" for n in results.get("notes", [])]
    sections.append(("Timing", "lines", timing))
    return sections


def write_report(results: dict[str, Any], folder: Path | str) -> dict[str, Path]:
    """Write ``results.json``, ``report.md``, ``report.html`` and ``plots/*.png`` to ``folder``."""
    out = Path(folder)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, allow_nan=False) + "\n",
                                      encoding="utf-8")
    images = {name: draw(results) for name, draw in PLOTS.items()}
    for name, png in images.items():
        (out / "plots" / f"{name}.png").write_bytes(png)
    sections = _sections(results)
    title = f"hitl-agent eval: {results['suite']['name']}"
    md = [f"# {title}", ""]
    body = [f"<h1>{html.escape(title)}</h1>"]
    for heading, kind, content in sections:
        md += [f"## {heading}", ""]
        body.append(f"<h2>{html.escape(heading)}</h2>")
        if kind == "table":
            md.append(_md_table(*content))
            body.append(_html_table(*content))
        elif kind == "lines":
            md += content
            body.append("<ul>" + "".join(f"<li>{html.escape(x.lstrip('- '))}</li>"
                                         for x in content) + "</ul>")
        else:
            md.append(content)
            body.append(f"<p>{html.escape(content.replace('**', '')).replace(chr(10), '<br>')}</p>")
        md.append("")
    md += ["## Plots", ""]
    body.append("<h2>Plots</h2>")
    for name, png in images.items():
        md.append(f"![{name}](plots/{name}.png)")
        data = base64.b64encode(png).decode("ascii")
        body.append(f'<figure><img alt="{name}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{name.replace('_', ' ')}</figcaption></figure>")
    (out / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;"
             "padding:0 1em}table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
             "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}"
             "td:first-child,th:first-child{text-align:left}figure{display:inline-block;"
             "margin:.5em}img{max-width:520px}")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{style}</style></head><body>{''.join(body)}</body></html>\n")
    (out / "report.html").write_text(page, encoding="utf-8")
    return {"results": out / "results.json", "markdown": out / "report.md",
            "html": out / "report.html"}
