"""The demo: the whole feedback loop on scikit-learn's bundled digits with simulated people.

``run_demo(DemoConfig(data=...))`` runs the rounds in process; ``mode=service_reviews`` (from
:mod:`hitl_agent.demo.service`) runs the same loop through a review-service process and boto3.
"""

from typing import Any

from hitl_agent._lazy import lazy_exports
from hitl_agent.demo.config import DemoConfig
from hitl_agent.demo.figures import DemoResult, RoundFigures
from hitl_agent.demo.loop import ReviewSession, in_process_reviews, run_demo, run_round
from hitl_agent.demo.report import write_report
from hitl_agent.demo.stream import DemoStream, prepare_stream

__all__ = ["DemoConfig", "DemoResult", "DemoStream", "ReviewSession", "RoundFigures",
           "in_process_reviews", "prepare_stream", "run_demo", "run_round", "write_report"]

_moved, __dir__ = lazy_exports(globals(), deprecated={"N_DIGITS": "hitl_agent.demo.config"})
_REMOVED = {
    "load_split": "the demo runs in rounds; hitl_agent.demo.prepare_stream splits the digits",
    "retrain_on_corrections": "hitl_agent.demo.learn.retrain, after each round",
    "summarise": "hitl_agent.demo.figures.round_figures, per round",
}


def __getattr__(name: str) -> Any:
    if name in _REMOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r} (removed: "
                             f"{_REMOVED[name]})")
    return _moved(name)
