"""Loading a suite's data: a training split (for estimators) and the stream to evaluate.

Every problem with the data is found here, before any item runs, and raised as
:class:`~hitl_agent.errors.EvalError` naming the file, the column or the item.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError as PydanticValidationError

from hitl_agent.canonical import canonical_json
from hitl_agent.errors import EvalError
from hitl_agent.evals.suite import FileData, ReplayData, SklearnData, SklearnModel, Suite
from hitl_agent.types import Prediction
from hitl_agent.uncertainty.sampling import normalize_answer

_PREDICTION_FIELDS = ("probabilities", "token_logprobs", "top_logprobs", "samples", "metadata",
                      "model_id", "model_version")


@dataclass
class Item:
    """One stream item: its thread id, the graph input, the right answer and, for replays, the
    recorded prediction."""

    id: str
    input: Any
    gold: Any
    prediction: Prediction | None = None


@dataclass
class Dataset:
    train_x: list[Any]
    train_y: list[Any]
    stream: list[Item]
    source: str
    info: dict[str, Any] = field(default_factory=dict)


def _check_file(suite: Suite, path: str) -> Path:
    resolved = suite.resolve(path)
    if not resolved.is_file():
        raise EvalError(f"data file {str(resolved)!r} does not exist (from {path!r} in suite "
                        f"{suite.name!r}): {suite.where_to_get()}", field="data.path",
                        path=str(resolved))
    return resolved


def _read_rows(path: Path, fmt: str) -> list[dict[str, Any]]:
    kind = fmt if fmt != "auto" else ("csv" if path.suffix.lower() in (".csv", ".tsv")
                                      else "jsonl")
    try:
        if kind == "csv":
            with path.open(newline="", encoding="utf-8") as fh:
                delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
                return [dict(row) for row in csv.DictReader(fh, delimiter=delimiter)]
        rows = []
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    row = json.loads(line)
                    if not isinstance(row, dict):
                        raise EvalError(f"{path}:{n} is not a JSON object", field="data.path",
                                        path=str(path), line=n)
                    rows.append(row)
        return rows
    except (OSError, json.JSONDecodeError, UnicodeDecodeError, csv.Error) as exc:
        raise EvalError(f"data file {path} cannot be read as {kind}: {exc}", field="data.path",
                        path=str(path)) from exc


def _require_columns(rows: list[dict[str, Any]], columns: list[str], path: Path,
                     where: str) -> None:
    if not rows:
        raise EvalError(f"data file {path} has no rows", field="data.path", path=str(path))
    present = set(rows[0])
    for n, row in enumerate(rows):
        for col in columns:
            if col not in row:
                have = ", ".join(sorted(present))
                raise EvalError(
                    f"column {col!r} (data.{where}) is not in {path.name}"
                    + (f" (row {n + 1})" if n else "") + f"; columns there: {have}",
                    field=f"data.{where}", column=col, path=str(path),
                )


def _numeric(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sklearn_set(spec: SklearnData) -> tuple[np.ndarray, list[str]]:
    from sklearn import datasets

    loader = getattr(datasets, f"load_{spec.name}")
    bunch = loader()
    names = [str(n) for n in bunch.target_names] if spec.name != "digits" else None
    y = [names[int(t)] if names else str(int(t)) for t in bunch.target]
    return np.asarray(bunch.data, dtype=float), y


def _split(suite: Suite, inputs: list[Any], gold: list[Any], source: str) -> Dataset:
    order = np.random.default_rng(suite.seed).permutation(len(inputs))
    n_train = suite.model.train_size if isinstance(suite.model, SklearnModel) else 0
    if n_train >= len(order) - 1:
        raise EvalError(f"model.train_size {n_train} leaves no items to stream ({len(order)} in "
                        f"the data)", field="model.train_size")
    train, rest = order[:n_train], order[n_train:]
    if suite.limit is not None:
        rest = rest[: suite.limit]
    stream = [Item(id=f"{suite.name}-{int(i)}", input=inputs[i], gold=gold[i]) for i in rest]
    return Dataset([inputs[i] for i in train], [gold[i] for i in train], stream, source,
                   {"items": len(inputs), "train": len(train), "stream": len(stream)})


def _file_data(suite: Suite, spec: FileData) -> Dataset:
    path = _check_file(suite, spec.path)
    rows = _read_rows(path, spec.format)
    cols = spec.input if isinstance(spec.input, list) else [spec.input]
    _require_columns(rows, cols, path, "input")
    _require_columns(rows, [spec.gold], path, "gold")
    if isinstance(spec.input, list):
        inputs: list[Any] = [[_numeric(r[c]) for c in cols] for r in rows]
    else:
        inputs = [r[spec.input] for r in rows]
    return _split(suite, inputs, [_label(r[spec.gold]) for r in rows], str(path))


# -- replays ----------------------------------------------------------------------------------


def _replay_jsonl(suite: Suite, spec: ReplayData, path: Path) -> list[Item]:
    rows = _read_rows(path, "jsonl")
    _require_columns(rows, [spec.input], path, "input")
    _require_columns(rows, [spec.output], path, "output")
    _require_columns(rows, [spec.gold], path, "gold")
    items = []
    for n, row in enumerate(rows):
        raw = {k: row[k] for k in _PREDICTION_FIELDS if row.get(k) is not None}
        raw["output"] = row[spec.output]
        items.append(_replay_item(suite, str(row.get("id", n)), row[spec.input], row[spec.gold],
                                  raw, path, n))
    return items


def _final_answer(solution: str) -> str | None:
    match = re.search(r"A:\s*(.+?)\s*$", solution.strip())
    return normalize_answer(match.group(1)) if match else None


def _replay_gsm8k(suite: Suite, spec: ReplayData, path: Path) -> list[Item]:
    rows = _read_rows(path, "jsonl")
    _require_columns(rows, ["question", "ground_truth"], path, "input")
    systems = [k for k, v in rows[0].items() if isinstance(v, dict) and "solution" in v]
    system = spec.system or (systems[-1] if systems else None)
    if system is None or system not in systems:
        raise EvalError(f"data.system {system!r} is not one of the systems in {path.name}: "
                        f"{', '.join(systems)}", field="data.system", path=str(path))
    _require_columns(rows, systems, path, "system")
    others = [s for s in systems if s != system]
    items = []
    for n, row in enumerate(rows):
        answer = _final_answer(row[system]["solution"]) or "(no answer)"
        samples = [_final_answer(row[s]["solution"]) or "(no answer)" for s in others]
        raw = {"output": answer, "samples": samples, "model_id": system,
               "metadata": {"raw_output": row[system]["solution"],
                            "is_correct": bool(row[system].get("is_correct"))}}
        gold = _final_answer(row["ground_truth"])
        items.append(_replay_item(suite, str(n), row["question"], gold, raw, path, n))
    return items


def _replay_claims(suite: Suite, spec: ReplayData, path: Path) -> list[Item]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EvalError(f"{path} is not a factual-claims file ({{\"data\": [...]}}): {exc}",
                        field="data.path", path=str(path)) from exc
    items: list[Item] = []
    for p, prompt in enumerate(data):
        for c, claim in enumerate(prompt.get("claims", [])):
            for key in ("subclaim", "annotation"):
                if key not in claim:
                    raise EvalError(f"claim {c} of prompt {p} in {path.name} has no {key!r}",
                                    field="data.path", column=key, path=str(path))
            metadata = {k.replace("-", "_"): v for k, v in claim.items()
                        if k in ("frequency-score", "gpt-score", "frequency+gpt-score")}
            if "gpt-score" in claim:
                metadata["verbalized_confidence"] = float(claim["gpt-score"])
            raw = {"output": "true", "metadata": metadata, "model_id": "gpt-4"}
            gold = "true" if str(claim["annotation"]).strip() in ("Y", "S") else "false"
            items.append(_replay_item(
                suite, f"{path.stem}-{p}-{c}",
                {"prompt": str(prompt.get("prompt", "")).strip(), "claim": claim["subclaim"]},
                gold, raw, path, len(items)))
    return items


def _replay_item(suite: Suite, key: str, input_value: Any, gold: Any, raw: dict[str, Any],
                 path: Path, n: int) -> Item:
    try:
        prediction = Prediction.model_validate(raw)
    except PydanticValidationError as exc:  # reworded with the row
        raise EvalError(f"{path.name} row {n + 1}: not a valid recorded prediction: {exc}",
                        field="data.path", path=str(path), row=n + 1) from exc
    if gold is None:
        raise EvalError(f"{path.name} row {n + 1} has no gold answer", field="data.gold",
                        path=str(path), row=n + 1)
    return Item(id=f"{suite.name}-{key}", input=input_value, gold=gold, prediction=prediction)


def _replay_data(suite: Suite, spec: ReplayData) -> Dataset:
    paths = spec.path if isinstance(spec.path, list) else [spec.path]
    items: list[Item] = []
    loader = {"jsonl": _replay_jsonl, "gsm8k_solutions": _replay_gsm8k,
              "factual_claims": _replay_claims}[spec.format]
    for p in paths:
        items.extend(loader(suite, spec, _check_file(suite, p)))
    # one recorded answer per input: the replay adapter finds a prediction by its input
    seen: set[str] = set()
    unique = []
    for item in items:
        key = canonical_json(item.input)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    order = np.random.default_rng(suite.seed).permutation(len(unique))
    stream = [unique[i] for i in order]
    if suite.limit is not None:
        stream = stream[: suite.limit]
    return Dataset([], [], stream, ", ".join(str(suite.resolve(p)) for p in paths),
                   {"items": len(items), "duplicates_dropped": len(items) - len(unique),
                    "train": 0, "stream": len(stream)})


def load_data(suite: Suite) -> Dataset:
    """The suite's training split and stream (shuffled with the suite's seed)."""
    spec = suite.data
    if isinstance(spec, SklearnData):
        x, y = _sklearn_set(spec)
        return _split(suite, [row.tolist() for row in x], y, f"sklearn:{spec.name}")
    if isinstance(spec, FileData):
        return _file_data(suite, spec)
    return _replay_data(suite, spec)
