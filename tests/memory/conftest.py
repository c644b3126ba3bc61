"""Fixtures for the correction memory: offline guard, shared embedder, and both index kinds
(a PersistentClient folder, and a real Chroma server started with ``chroma run``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hitl_agent.memory import ChromaIndex, CorrectionMemory, WordLlamaEmbeddings
from hitl_agent.memory.ledger import Ledger
from hitl_agent.service.process import free_port
from tests.helpers.wait import wait_until


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing may reach the network: Hugging Face is told so, and sockets refuse non-loopback."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise OSError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def embedder() -> WordLlamaEmbeddings:
    return WordLlamaEmbeddings()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server on a free port; the tests that use it skip if it cannot start."""
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists() and shutil.which("chroma") is None:
        pytest.skip("the `chroma` CLI (part of the chromadb package) is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path.parent / "chroma-server.log").open("wb")
    proc = subprocess.Popen(
        [str(exe if exe.exists() else "chroma"), "run", "--path", str(path),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        def beats() -> bool:
            if proc.poll() is not None:
                pytest.skip(f"chroma run exited with {proc.returncode}; see {log.name}")
            try:
                return httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until(beats, 30, every=0.2)
        except AssertionError:
            pytest.skip(f"chroma run gave no heartbeat within 30 s; see {log.name}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(params=["persistent", "server"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_index(backend: str, tmp_path: Path, request: pytest.FixtureRequest
               ) -> Callable[[], ChromaIndex]:
    """A factory of indexes that all point at the same place (folder or server + prefix)."""
    if backend == "persistent":
        return lambda: ChromaIndex(tmp_path / "memory")
    url = request.getfixturevalue("chroma_server")
    prefix = "t" + uuid.uuid4().hex[:12]
    return lambda: ChromaIndex(url=url, prefix=prefix)


@pytest.fixture
def make_memory(ledger: Ledger, make_index: Callable[[], ChromaIndex],
                embedder: WordLlamaEmbeddings) -> Iterator[Callable[..., CorrectionMemory]]:
    made: list[CorrectionMemory] = []

    def make(**kwargs: Any) -> CorrectionMemory:
        kwargs.setdefault("embeddings", embedder)
        memory = CorrectionMemory(ledger, index=make_index(), **kwargs)
        made.append(memory)
        return memory

    yield make
    for memory in made:
        memory.close()
