"""An export sets aside (``gc.freeze``) what the process held before it, and only that, for its
length, and leaves a process that manages its collector itself as it found it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hitl_agent.export import ExportOptions, export_dataset
from hitl_agent.memory.ledger import Ledger

Fill = Callable[..., Ledger]


@pytest.fixture
def nothing_frozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_older_objects_are_set_aside_for_the_export_only(
    fill: Fill, tmp_path: Path, nothing_frozen: None
) -> None:
    ledger = fill(30)
    seen: list[int] = []
    result = export_dataset(ledger, tmp_path / "o", ExportOptions(format="csv"),
                            progress=lambda n: seen.append(gc.get_freeze_count()), chunk_size=10)
    assert result.counts["read"] == 30
    assert seen and min(seen) > 0  # during the export
    assert gc.get_freeze_count() == 0  # and given back


def test_a_process_that_froze_objects_itself_is_left_as_it_is(
    fill: Fill, tmp_path: Path, nothing_frozen: None
) -> None:
    ledger = fill(30)
    gc.freeze()  # as a server does before it forks
    frozen = gc.get_freeze_count()
    export_dataset(ledger, tmp_path / "o", ExportOptions(format="csv"))
    # Neither given back nor frozen again (a frozen object that is freed leaves the count).
    assert frozen - 100 <= gc.get_freeze_count() <= frozen


def test_a_failing_export_gives_the_objects_back(
    fill: Fill, tmp_path: Path, nothing_frozen: None
) -> None:
    ledger = fill(5)

    def fail(n: int) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        export_dataset(ledger, tmp_path / "o", ExportOptions(format="csv"), progress=fail,
                       chunk_size=2)
    assert gc.get_freeze_count() == 0
