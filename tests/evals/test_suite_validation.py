"""Bad suites fail before any item runs, with an EvalError that names the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hitl_agent.errors import EvalError
from hitl_agent.evals import load_suite, parse_suite, prepare

BASE = {
    "name": "t",
    "data": {"kind": "sklearn", "name": "iris"},
    "model": {"kind": "sklearn", "estimator": "sklearn.linear_model.LogisticRegression",
              "params": {"max_iter": 500}, "train_size": 60},
    "scorers": ["max_probability"],
    "policies": [{"name": "t9", "kind": "threshold", "threshold": 0.9}],
}


def _with(**changes: object) -> dict[str, object]:
    return {**json.loads(json.dumps(BASE)), **changes}


def test_shipped_suites_parse(evals_dir: Path) -> None:
    names = sorted(p.stem for p in evals_dir.glob("*.yaml"))
    assert {"smoke", "digits", "breast-cancer", "gsm8k-replay",
            "factual-claims-replay"} <= set(names)
    for name in names:
        assert load_suite(name).name == name


def test_unknown_key_is_named() -> None:
    raw = _with(reviewers={"error_rate": 0.1, "eror_rate": 0.2})
    with pytest.raises(EvalError, match="unknown key 'reviewers.eror_rate'") as info:
        parse_suite(raw)
    assert info.value.context["field"] == "reviewers.eror_rate"


def test_unknown_top_level_key_and_missing_key() -> None:
    with pytest.raises(EvalError, match="unknown key 'polices'"):
        parse_suite({**_with(), "polices": []})
    raw = _with()
    del raw["model"]
    with pytest.raises(EvalError, match="missing key 'model'"):
        parse_suite(raw)


def test_unknown_suite_name_lists_shipped() -> None:
    with pytest.raises(EvalError, match="no suite named 'nope'.*smoke"):
        load_suite("nope")


def test_missing_file_is_named(tmp_path: Path) -> None:
    raw = _with(data={"kind": "file", "path": "missing.jsonl", "input": "x", "gold": "y"})
    suite = parse_suite(raw, root=tmp_path)
    with pytest.raises(EvalError, match="missing.jsonl.*does not exist"):
        prepare(suite)


def test_missing_column_is_named(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("a,b,label\n" + "".join(
        f"{i},{i % 3},{'yes' if i % 2 else 'no'}\n" for i in range(40)))
    raw = _with(data={"kind": "file", "path": "d.csv", "input": ["a", "c"], "gold": "label"},
                model={**BASE["model"], "train_size": 10})  # type: ignore[dict-item]
    suite = parse_suite(raw, root=tmp_path)
    with pytest.raises(EvalError, match="column 'c'.*not in d.csv.*a, b, label") as info:
        prepare(suite)
    assert info.value.context["column"] == "c"


def test_gold_outside_labels(tmp_path: Path) -> None:
    raw = _with(labels=["setosa", "versicolor"])
    with pytest.raises(EvalError, match="gold labels outside the suite labels.*'virginica'"):
        prepare(parse_suite(raw, root=tmp_path))


def test_gold_outside_model_labels(tmp_path: Path) -> None:
    # the model is trained on labels a/b only; the stream holds a c
    rows = [{"x": [float(i), float(i % 2)], "y": "ab"[i % 2]} for i in range(30)]
    rows += [{"x": [1.0, 2.0], "y": "c"}]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    raw = _with(data={"kind": "file", "path": "d.jsonl", "input": "x", "gold": "y"},
                model={**BASE["model"], "train_size": 20}, seed=1)  # type: ignore[dict-item]
    suite = parse_suite(raw, root=tmp_path)
    # the shuffled stream has the "c" item unless it landed in training; find a seed where not
    for seed in range(10):
        suite.seed = seed
        try:
            prepare(suite)
        except EvalError as exc:
            assert "gold labels outside the model's labels" in str(exc)
            assert "'c'" in str(exc)
            return
    pytest.fail("no seed put the odd label in the stream")


def test_replay_missing_signals(tmp_path: Path) -> None:
    rows = [{"input": f"q{i}", "output": "a", "gold": "a", "samples": ["a", "b"]}
            for i in range(5)]
    rows.append({"input": "q5", "output": "a", "gold": "b"})  # no samples
    (tmp_path / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    raw = _with(data={"kind": "replay", "path": "log.jsonl"}, model={"kind": "replay"},
                scorers=["sample_agreement"])
    suite = parse_suite(raw, root=tmp_path)
    with pytest.raises(EvalError, match="lacks samples.*sample_agreement") as info:
        prepare(suite)
    assert info.value.context["signal"] == "samples"


def test_sklearn_model_cannot_feed_logprob_scorer(tmp_path: Path) -> None:
    raw = _with(scorers=["mean_logprob"])
    with pytest.raises(EvalError, match="mean_logprob.*token_logprobs"):
        prepare(parse_suite(raw, root=tmp_path))


def test_estimator_outside_sklearn_is_refused(tmp_path: Path) -> None:
    raw = _with(model={**BASE["model"], "estimator": "os.system"})  # type: ignore[dict-item]
    with pytest.raises(EvalError, match="must be a dotted class path under sklearn"):
        prepare(parse_suite(raw, root=tmp_path))


def test_eval_data_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HITL_EVAL_DATA", str(tmp_path / "elsewhere"))
    suite = parse_suite(_with(), root=tmp_path)
    assert suite.resolve("${HITL_EVAL_DATA}/x.json") == tmp_path / "elsewhere" / "x.json"
    assert suite.resolve("rel/y.csv") == tmp_path / "rel" / "y.csv"


@pytest.mark.parametrize(("name", "repository"), [
    ("gsm8k-replay", "openai/grade-school-math"),
    ("factual-claims-replay", "tatsu-lab/conformal-factual-lm"),
])
def test_replay_suites_say_where_to_get_their_data(
    name: str, repository: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HITL_EVAL_DATA", raising=False)
    with pytest.raises(EvalError) as unset:
        prepare(load_suite(name))
    message = str(unset.value)
    assert "HITL_EVAL_DATA is not set" in message
    assert f"https://github.com/{repository}" in message and "at commit" in message
    with pytest.raises(EvalError) as absent:
        prepare(load_suite(name, data_dir=tmp_path))
    assert "does not exist" in str(absent.value) and repository in str(absent.value)
    assert str(tmp_path) in str(absent.value)


def test_shipped_suites_never_point_outside_the_repository(evals_dir: Path) -> None:
    for path in evals_dir.iterdir():
        assert "../shared" not in path.read_text(), path.name
