"""The ledger (system of record) and the correction memory (a chromadb index over it)."""

from typing import TYPE_CHECKING

from hitl_agent._lazy import lazy_exports

_EXPORTS = {
    "ChromaFunctionEmbedder": "hitl_agent.memory.embeddings",
    "ChromaIndex": "hitl_agent.memory.index",
    "CorrectionMemory": "hitl_agent.memory.correction_memory",
    "CorrectionRecall": "hitl_agent.memory.base",
    "Embedder": "hitl_agent.memory.embeddings",
    "ForgetReport": "hitl_agent.memory.correction_memory",
    "HnswSettings": "hitl_agent.memory.index",
    "LangChainEmbedder": "hitl_agent.memory.embeddings",
    "Ledger": "hitl_agent.memory.ledger",
    "MemoryHit": "hitl_agent.memory.correction_memory",
    "RebuildReport": "hitl_agent.memory.correction_memory",
    "Recall": "hitl_agent.memory.base",
    "WordLlamaEmbeddings": "hitl_agent.memory.embeddings",
    "apply_memory_signal": "hitl_agent.memory.signal",
    "format_few_shot": "hitl_agent.memory.few_shot",
    "memory_agreement": "hitl_agent.memory.signal",
    "resolve_embeddings": "hitl_agent.memory.embeddings",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - the names' real types, for type checkers and IDEs
    from hitl_agent.memory.base import (  # noqa: F401
        CorrectionRecall,
        Recall,
    )
    from hitl_agent.memory.correction_memory import (  # noqa: F401
        CorrectionMemory,
        ForgetReport,
        MemoryHit,
        RebuildReport,
    )
    from hitl_agent.memory.embeddings import (  # noqa: F401
        ChromaFunctionEmbedder,
        Embedder,
        LangChainEmbedder,
        WordLlamaEmbeddings,
        resolve_embeddings,
    )
    from hitl_agent.memory.few_shot import (  # noqa: F401
        format_few_shot,
    )
    from hitl_agent.memory.index import (  # noqa: F401
        ChromaIndex,
        HnswSettings,
    )
    from hitl_agent.memory.ledger import (  # noqa: F401
        Ledger,
    )
    from hitl_agent.memory.signal import (  # noqa: F401
        apply_memory_signal,
        memory_agreement,
    )
