"""The report's plots, drawn with matplotlib (imported lazily: an optional dependency)."""

from __future__ import annotations

import io
from typing import Any

from hitl_agent.errors import EvalError


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise EvalError(
            "the eval report's plots need matplotlib, which comes with the 'eval' extra: "
            "pip install 'hitl-agent[eval]'",
            field="report",
        ) from exc
    return plt


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def _value(x: Any) -> float:
    return float("nan") if x is None else float(x)


def risk_coverage(results: dict[str, Any]) -> bytes:
    plt = _pyplot()
    c = results["curves"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(c["risk_coverage"]["coverage"], c["risk_coverage"]["risk"],
            label=f"{c['scorer']} ({c['run']})", color="C0")
    ax.plot(c["oracle"]["coverage"], c["oracle"]["risk"], "--", color="C2", label="oracle")
    if c["random_risk"] is not None:
        ax.axhline(c["random_risk"], ls=":", color="grey", label="random")
    for k, (name, p) in enumerate(results["policies"].items()):
        ax.plot(_value(p["automation"]["value"]), _value(p["accepted_error"]["value"]), "o",
                color=f"C{(k + 3) % 10}", label=f"{name}")
        g = p.get("guarantee")
        if g and g.get("alpha") is not None:
            ax.axhline(g["alpha"], ls="-.", lw=0.8, color=f"C{(k + 3) % 10}")
    ax.set_xlabel("coverage (share accepted automatically)")
    ax.set_ylabel("selective risk (error among accepted)")
    ax.set_title("Risk–coverage")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    return _png(fig)


def reliability(results: dict[str, Any]) -> bytes:
    plt = _pyplot()
    bins = results["curves"]["reliability"]
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    if bins:
        widths = [b["high"] - b["low"] for b in bins]
        ax.bar([b["low"] for b in bins], [b["accuracy"] for b in bins], width=widths,
               align="edge", alpha=0.6, edgecolor="C0", label="accuracy in bin")
        ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o-",
                color="C1", ms=3, label="mean confidence → accuracy")
    score = results["scores"]["by_scorer"].get(results["curves"]["scorer"], {})
    ece = score.get("ece")
    ax.set_title("Reliability" + (f" (ECE {ece:.3f})" if ece is not None else ""))
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    return _png(fig)


def roc(results: dict[str, Any]) -> bytes:
    plt = _pyplot()
    r = results["curves"]["roc"]
    score = results["scores"]["by_scorer"].get(results["curves"]["scorer"], {})
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    auroc = score.get("auroc")
    ax.plot(r["fpr"], r["tpr"], label="AUROC " + (f"{auroc:.3f}" if auroc is not None
                                                   else "n/a"))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="chance")
    ax.set_xlabel("right outputs escalated (FPR)")
    ax.set_ylabel("wrong outputs caught (TPR)")
    ax.set_title("Error detection ROC")
    ax.legend(fontsize=8)
    return _png(fig)


def cost_accuracy(results: dict[str, Any]) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for k, (name, p) in enumerate(results["policies"].items()):
        cost, acc = p["cost"], p["final_accuracy"]
        x, y = _value(cost["value"]), _value(acc["value"])
        xerr = [[x - _value(cost["low"])], [_value(cost["high"]) - x]]
        yerr = [[y - _value(acc["low"])], [_value(acc["high"]) - y]]
        ax.errorbar(x, y, xerr=xerr, yerr=yerr, fmt="o", color=f"C{k % 10}", capsize=3,
                    label=name)
    ax.set_xlabel("review cost")
    ax.set_ylabel("final accuracy after review")
    ax.set_title("Cost versus final accuracy (95% bootstrap intervals)")
    ax.legend(fontsize=7)
    return _png(fig)


def learning(results: dict[str, Any]) -> bytes:
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 5.4), sharex=True)
    for k, (name, p) in enumerate(results["policies"].items()):
        curve = p["learning_curve"]
        x = [(w["start"] + w["end"]) / 2 for w in curve]
        style = "-" if p["feedback"] else "--"
        top.plot(x, [w["reviews_per_100"] for w in curve], style, color=f"C{k % 10}",
                 marker=".", label=name)
        bottom.plot(x, [100 * w["model_error"] for w in curve], style, color=f"C{k % 10}",
                    marker=".")
    top.set_ylabel("reviews per 100 items")
    bottom.set_ylabel("model error (%)")
    bottom.set_xlabel("stream position (items)")
    top.set_title("Learning curve (solid: feedback on)")
    top.legend(fontsize=7)
    return _png(fig)


PLOTS = {
    "risk_coverage": risk_coverage,
    "reliability": reliability,
    "roc": roc,
    "cost_accuracy": cost_accuracy,
    "learning_curve": learning,
}
