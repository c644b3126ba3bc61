"""The figures of each round and of the whole run, as the table and ``--json`` show them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from hitl_agent.demo.stream import RoundItems
from hitl_agent.memory.ledger import Ledger

if TYPE_CHECKING:
    from hitl_agent.demo.learn import Guarantee

TERMS = [  # what the table's columns mean, printed under it and in the report
    ("reviewed per 100", "items out of every 100 that people answered (escalated as unsure, "
     "or audited at random)"),
    ("from memory", "repeated inputs answered from an earlier human verdict by the correction "
     "memory, with no model call and no review"),
    ("accepted error", "share of the items accepted without review whose answer was wrong"),
    ("final accuracy", "share of all items whose final answer (model, person or memory) is "
     "right"),
    ("model", "the model version used in the round, and its accuracy on held-out digits; each "
     "round retrains it on the corrections so far"),
    ("threshold (guarantee)", "escalate below this confidence. \"guess\": the starting "
     "threshold, no guarantee yet; \"≤5%\": recalibrated on the audited verdicts so that "
     "accepted error ≤ alpha (5%) with probability ≥ 1 - delta (90%)"),
    ("index size", "corrections in the chromadb index after the round (the ledger holds them "
     "too; the round's are indexed at its end, in one write)"),
    ("rows exported", "new rows of the round's training export (SageMaker Ground Truth "
     "manifest, train/validation split, manifest.json)"),
]



@dataclass
class RoundFigures:
    round: int
    items: int
    reviewed: int
    audited: int
    from_memory: int
    accepted: int
    accepted_wrong: int
    final_right: int
    model_version: str
    threshold: float | None
    guarantee: str
    model_accuracy: float = 0.0
    index_size: int = 0
    rows_exported: int = 0
    seconds: float = 0.0

    @property
    def reviewed_per_100(self) -> float:
        return 100.0 * self.reviewed / self.items

    @property
    def accepted_error(self) -> float:
        return self.accepted_wrong / self.accepted if self.accepted else 0.0

    @property
    def final_accuracy(self) -> float:
        return self.final_right / self.items

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(reviewed_per_100=round(self.reviewed_per_100, 2),
                   accepted_error=round(self.accepted_error, 4),
                   final_accuracy=round(self.final_accuracy, 4),
                   model_accuracy=round(self.model_accuracy, 4))
        return out


@dataclass
class DemoResult:
    rounds: list[RoundFigures]
    final_model_accuracy: float
    final_model_version: str
    held_out_items: int
    next_threshold: dict[str, Any]
    seconds: float
    data: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def review_reduction(self) -> float:
        """Reviews per 100 in the last round over the first (lower is better)."""
        first = self.rounds[0].reviewed_per_100
        return self.rounds[-1].reviewed_per_100 / first if first else 0.0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rounds": [r.as_json() for r in self.rounds],
            "items": sum(r.items for r in self.rounds),
            "reviewed": sum(r.reviewed for r in self.rounds),
            "from_memory": sum(r.from_memory for r in self.rounds),
            "review_reduction": round(self.review_reduction, 4),
            "final_model_accuracy": round(self.final_model_accuracy, 4),
            "final_model_version": self.final_model_version,
            "held_out_items": self.held_out_items,
            "next_threshold": self.next_threshold,
            "seconds": self.seconds,
            "data": self.data,
        }
        out.update(self.extra)
        return out


def round_figures(ledger: Ledger, items: RoundItems, gold: dict[str, str], version: str,
                  guarantee: Guarantee) -> RoundFigures:
    """Count what happened to the round's items, from the ledger (the system of record)."""
    reviewed = audited = from_memory = accepted = accepted_wrong = final_right = 0
    for tid in items.thread_ids:
        item = ledger.get_item(tid)
        if item is None:
            continue
        truth = gold[tid]
        final_right += str(item.final_output) == truth
        if item.final_source == "memory":
            from_memory += 1
        elif item.decision is not None and item.decision.action == "accept":
            accepted += 1
            accepted_wrong += item.prediction is not None and item.prediction.output != truth
        elif item.decision is not None:
            reviewed += 1
            audited += item.decision.reason == "audit"
    return RoundFigures(
        round=items.number, items=len(items.thread_ids), reviewed=reviewed, audited=audited,
        from_memory=from_memory, accepted=accepted, accepted_wrong=accepted_wrong,
        final_right=final_right, model_version=version, threshold=guarantee.threshold,
        guarantee=guarantee.label(),
    )
