"""The smoke suite end to end through the CLI, and an interrupted eval resumed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from hitl_agent.cli.eval import eval_command
from hitl_agent.evals import Progress, load_suite, run_suite, summarise
from tests.helpers.paths import SHARED_DATA

app = typer.Typer(pretty_exceptions_enable=False)
app.command(name="eval")(eval_command)


@app.callback()
def _root() -> None:
    """Test app with the eval command, as hitl-agent registers it."""


runner = CliRunner()


def test_smoke_suite_through_the_cli(tmp_path: Path) -> None:
    report = tmp_path / "report"
    out_json = tmp_path / "figures.json"
    result = runner.invoke(app, ["eval", "smoke", "--data", str(tmp_path / "data"),
                                 "--report", str(report), "--json", str(out_json),
                                 "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "items/s" in result.output
    assert "feedback on" in result.output
    for name in ("report.md", "report.html", "results.json"):
        assert (report / name).is_file()
    html = (report / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 5
    results = json.loads((report / "results.json").read_text())
    assert json.loads(out_json.read_text()) == results
    policies = results["policies"]
    assert set(policies) == {"threshold-0.9", "threshold-0.9 (no feedback)", "budget-6",
                             "certified-15%", "threshold-0.9-teach"}
    for p in policies.values():
        assert p["n"] == 60
        assert 0.0 <= p["automation"]["low"] <= p["automation"]["value"] <= \
            p["automation"]["high"] <= 1.0
    assert policies["threshold-0.9"]["retrains"], "the feedback run retrained"
    assert "guarantee" in policies["certified-15%"]
    # every policy reports reviews by window; a certified one counts from after calibration
    assert "policy certified-15%: reviews/100 by window" in result.output.replace("\n", " ")
    windows = policies["certified-15%"]["windows"]
    assert windows["calibration_reviews"] == 30 and len(windows["reviews_per_100"]) == 2
    assert policies["threshold-0.9"]["windows"]["calibration_reviews"] == 0
    taught = policies["threshold-0.9-teach"]["accepted_error_ipw"]
    assert taught["audited"] > 0 and taught["value"] is not None
    assert "Reviews by window" in (report / "report.md").read_text()
    assert results["scores"]["by_scorer"]["max_probability"]["auroc"] > 0.7
    loop = results["feedback_loop"]
    assert loop["feedback_on"]["reviews_per_100"] and loop["feedback_off"]["reviews_per_100"]


def test_bad_suite_exits_2_with_the_key_named(tmp_path: Path) -> None:
    suite = tmp_path / "bad.yaml"
    suite.write_text((Path(__file__).parents[2] / "evals" / "smoke.yaml").read_text()
                     .replace("error_rate:", "eror_rate:"))
    result = runner.invoke(app, ["eval", str(suite), "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "reviewers.eror_rate" in " ".join(result.output.split())


def test_missing_suite_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(tmp_path / "none.yaml"), "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "does not exist" in " ".join(result.output.split())


class _Stop(Exception):
    pass


def test_interrupted_eval_resumes_without_rerunning(tmp_path: Path) -> None:
    suite = load_suite("smoke")
    suite.policies = suite.policies[:1]
    suite.feedback.compare_without = False
    work = tmp_path / "work"
    seen: list[int] = []

    def stop_after_33(p: Progress) -> None:
        seen.append(p.done)
        if p.done == 33:
            raise _Stop

    with pytest.raises(_Stop):
        run_suite(suite, work_dir=work, progress=stop_after_33)
    assert seen[-1] == 33
    resumed = run_suite(suite, work_dir=work)
    run = resumed.runs[0]
    assert run.skipped == 33 and run.ran == 60 - 33
    assert len(run.items) == 60
    fresh = run_suite(suite, work_dir=tmp_path / "fresh")
    a, b = summarise(resumed), summarise(fresh)
    for key in ("automation", "final_accuracy", "cost", "accepted_error"):
        assert a["policies"]["threshold-0.9"][key] == b["policies"]["threshold-0.9"][key]
    assert [i.final_output for i in run.items] == [i.final_output for i in fresh.runs[0].items]
    assert run.retrains == fresh.runs[0].retrains or [
        {k: v for k, v in r.items() if k != "seconds"} for r in run.retrains
    ] == [{k: v for k, v in r.items() if k != "seconds"} for r in fresh.runs[0].retrains]


@pytest.mark.parametrize("name", ["gsm8k-replay", "factual-claims-replay"])
def test_replay_suites_prepare(name: str) -> None:
    from hitl_agent.errors import EvalError
    from hitl_agent.evals import prepare

    suite = load_suite(name, data_dir=os.environ.get("HITL_EVAL_DATA", SHARED_DATA / "llm"))
    try:
        dataset, _, _ = prepare(suite)
    except EvalError as exc:
        pytest.skip(str(exc))
    else:
        assert len(dataset.stream) > 900
        assert all(i.prediction is not None for i in dataset.stream)
        assert suite.data.source is not None  # type: ignore[union-attr]


def test_chat_model_suite_runs(tmp_path: Path) -> None:
    from hitl_agent.evals import parse_suite

    rows = [{"text": f"is {i} even?", "answer": "yes" if i % 2 == 0 else "no"}
            for i in range(12)]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    suite = parse_suite({
        "name": "chat",
        "labels": ["yes", "no"],
        "data": {"kind": "file", "path": "q.jsonl", "input": "text", "gold": "answer"},
        "model": {"kind": "chat",
                  "chat_model": "langchain_core.language_models.fake_chat_models."
                                "FakeListChatModel",
                  "params": {"responses": ["yes", "yes", "no"]}, "n_samples": 2},
        "scorers": ["sample_agreement"],
        "policies": [{"name": "t", "kind": "threshold", "threshold": 0.9}],
        "metrics": {"bootstrap": 50, "calibration_resamples": 0},
    }, root=tmp_path)
    results = summarise(run_suite(suite))
    p = results["policies"]["t"]
    assert p["n"] == 12
    assert p["final_accuracy"]["value"] >= p["model_accuracy"]["value"]
