"""The review service (A2I-compatible runtime API, control plane, worker API and portal), mounted
in the LangGraph server through ``langgraph.json``'s ``http.app``; its data lives in the data
folder (``$HITL_DATA``), as with ``hitl-agent serve --data``."""

from __future__ import annotations

from hitl_agent.agents.ready import data_dir
from hitl_agent.service.app import create_app
from hitl_agent.service.settings import ServiceSettings

app = create_app(ServiceSettings(data_dir=data_dir()))
