"""Servers a fixture starts and stops: moto's S3/SageMaker stand-in, and a tracker of started
servers (each with ``start()`` and ``stop()``) for factory fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar


class Startable(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=Startable)


def started_by(make: Callable[..., S]) -> Iterator[Callable[..., S]]:
    """The body of a factory fixture: yields ``start(*args, **kwargs)``, which makes a server with
    ``make``, starts it and returns it; every one started is stopped when the fixture ends."""
    started: list[S] = []

    def start(*args: Any, **kwargs: Any) -> S:
        server = make(*args, **kwargs)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server on loopback (the stand-in for AWS S3 and SageMaker endpoints): its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
