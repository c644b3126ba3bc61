"""The review loop as LangGraph graphs: :class:`ReviewLoop`, its checkpointers and resumer."""

from typing import TYPE_CHECKING

from hitl_agent._lazy import lazy_exports

_EXPORTS = {
    "BatchItem": "hitl_agent.graph.batch",
    "Checkpointing": "hitl_agent.graph.loop",
    "ResumeReport": "hitl_agent.graph.resumer",
    "Resumer": "hitl_agent.graph.resumer",
    "ReviewGraphConfig": "hitl_agent.graph.state",
    "ReviewGraphInput": "hitl_agent.graph.state",
    "ReviewGraphOutput": "hitl_agent.graph.state",
    "ReviewGraphState": "hitl_agent.graph.state",
    "ReviewLoop": "hitl_agent.graph.loop",
    "build_review_graph": "hitl_agent.graph.build",
    "ingest": "hitl_agent.graph.batch",
    "open_checkpointer": "hitl_agent.graph.checkpoint",
    "postgres_checkpointer": "hitl_agent.graph.checkpoint",
    "run_batch": "hitl_agent.graph.batch",
    "serializer": "hitl_agent.graph.checkpoint",
    "sqlite_checkpointer": "hitl_agent.graph.checkpoint",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS,
                                   deprecated={"ReviewWorker": "hitl_agent.receivers.polling"})

if TYPE_CHECKING:  # pragma: no cover - the names' real types, for type checkers and IDEs
    from hitl_agent.graph.batch import (  # noqa: F401
        BatchItem,
        ingest,
        run_batch,
    )
    from hitl_agent.graph.build import (  # noqa: F401
        build_review_graph,
    )
    from hitl_agent.graph.checkpoint import (  # noqa: F401
        open_checkpointer,
        postgres_checkpointer,
        serializer,
        sqlite_checkpointer,
    )
    from hitl_agent.graph.loop import (  # noqa: F401
        Checkpointing,
        ReviewLoop,
    )
    from hitl_agent.graph.resumer import (  # noqa: F401
        Resumer,
        ResumeReport,
    )
    from hitl_agent.graph.state import (  # noqa: F401
        ReviewGraphConfig,
        ReviewGraphInput,
        ReviewGraphOutput,
        ReviewGraphState,
    )
