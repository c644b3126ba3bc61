"""How loops end: Completed (output written after TaskCount answers), Failed/Expired, Stopped.

Every transition is a conditional change of the locked loop row plus an event row in one
transaction, so when several processes race to end a loop, exactly one does and one event is logged.
Transitions are evaluated lazily when a loop is read and by the periodic ``Sweeper``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .clock import Clock, iso_ms, now_us
from .events import record_event
from .models import Answer, Claim, HumanLoop
from .output import OutputWriter, build_output
from .output_roots import refusal
from .settings import ServiceSettings
from .storage import Store

log = logging.getLogger(__name__)

ACTIVE = ("InProgress", "Stopping")
OUTPUT_RETRY_US = 15 * 60 * 1_000_000
"""How long a transient output failure (S3 down, disk full) is retried before the loop fails."""
PERMANENT_OUTPUT_ERRORS: tuple[type[BaseException], ...] = (
    UnicodeError,
    ValueError,
    TypeError,
    PermissionError,
    NotADirectoryError,
    IsADirectoryError,
    FileExistsError,
)


def active_claims(session: Session, loop_pk: int, now: int) -> int:
    return (
        session.scalar(
            select(func.count(Claim.id)).where(
                Claim.loop_pk == loop_pk, Claim.state == "active", Claim.expires_us > now
            )
        )
        or 0
    )


def answer_count(session: Session, loop_pk: int) -> int:
    return session.scalar(select(func.count(Answer.id)).where(Answer.loop_pk == loop_pk)) or 0


def answer_dicts(session: Session, loop_pk: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Answer).where(Answer.loop_pk == loop_pk).order_by(Answer.submission_us, Answer.id)
    ).all()
    return [
        {
            "acceptanceTime": iso_ms(a.acceptance_us),
            "answerContent": json.loads(a.answer_content),
            "submissionTime": iso_ms(a.submission_us),
            "timeSpentInSeconds": a.time_spent_s,
            "workerId": a.worker_id,
            "workerMetadata": json.loads(a.worker_metadata),
        }
        for a in rows
    ]


class Lifecycle:
    """The transitions that end loops; shared by the runtime API, the task board and the sweeper."""

    def __init__(
        self,
        store: Store,
        settings: ServiceSettings,
        writer: OutputWriter,
        clock: Clock = now_us,
        on_event: Any = None,
    ) -> None:
        self.store, self.settings, self.writer, self.clock = store, settings, writer, clock
        self.on_event = on_event  # called after an event is committed (wakes the webhook sender)
        self.annotate: Callable[[Session, HumanLoop, dict[str, Any]], None] | None = None

    def notify(self) -> None:
        if self.on_event is not None:
            self.on_event()

    def end(
        self,
        session: Session,
        loop: HumanLoop,
        status: str,
        *,
        failure_code: str | None = None,
        failure_reason: str | None = None,
    ) -> None:
        """Move a locked, active loop to a final status and log the event (caller commits)."""
        now = self.clock()
        loop.status = status
        loop.failure_code = failure_code
        loop.failure_reason = failure_reason
        loop.updated_us = now
        loop.output_pending = 0
        record_event(session, loop, self.settings, now)

    def settle_locked(self, session: Session, loop: HumanLoop) -> bool:
        """Apply the transition that is due for ``loop`` (locked); True if one was applied."""
        if loop.status not in ACTIVE or loop.output_pending:
            return False
        now = self.clock()
        if loop.status == "Stopping":
            if active_claims(session, loop.id, now) == 0:
                self.end(session, loop, "Stopped")
                return True
            return False
        if now >= loop.expires_us:
            got = answer_count(session, loop.id)
            self.end(
                session,
                loop,
                "Failed",
                failure_code="Expired",
                failure_reason=(
                    f"The human loop expired: its TaskAvailabilityLifetime passed with {got} of "
                    f"{loop.task_count} answers submitted."
                ),
            )
            return True
        return False

    def settle(self, name: str) -> None:
        """Bring one loop up to date (expiry, stop, pending output)."""
        pending = False
        with self.store.write() as s:
            loop = self.store.lock_loop(s, name)
            if loop is None:
                return
            changed = self.settle_locked(s, loop)
            pending = bool(loop.output_pending)
        if changed:
            self.notify()
        if pending:
            self.complete(name)

    def complete(self, name: str) -> bool:
        """Write the output of a loop whose answers are all in, then mark it Completed.

        The output is written before the status changes, so a Completed loop always has its
        output.json. A failed write leaves the loop pending; the sweeper tries again.
        """
        with self.store.read() as s:
            loop = self.store.get_loop(s, name)
            if loop is None or not loop.output_pending:
                return False
            uri = loop.output_uri
            try:
                built = build_output(
                    flow_definition_arn=loop.flow_definition_arn,
                    loop_name=loop.name,
                    input_content=loop.input_content,
                    answers=answer_dicts(s, loop.id),
                    request_source=loop.request_source,
                )
                failure = None
                if self.annotate is not None:  # the aggregated verdict (live_aggregation.py)
                    try:
                        self.annotate(s, loop, built)
                    except Exception:  # noqa: BLE001 - the raw answers are written regardless
                        log.exception("aggregating the answers of %s failed", name)
                doc: dict[str, Any] | None = built
            except ValueError as exc:  # stored before the edge checked JSON text
                doc, failure = None, f"The output cannot be built: {exc}"
        if doc is not None:
            failure = self._write_output(name, uri, doc, since_us=loop.updated_us)
        if failure == "retry":
            return False
        with self.store.write() as s:
            loop = self.store.lock_loop(s, name)
            if loop is None or not loop.output_pending:
                return False
            if failure is None:
                self.end(s, loop, "Completed")
            else:
                self.end(
                    s, loop, "Failed", failure_code="InternalError", failure_reason=failure[:1024]
                )
        self.notify()
        return True

    def _write_output(
        self, name: str, uri: str, doc: dict[str, Any], *, since_us: int
    ) -> str | None:
        """None when written; ``"retry"`` for a failure worth retrying (the sweeper will); else
        the reason the output can never be written (the loop is then marked Failed)."""
        reason = refusal(uri.rsplit("/", 1)[0], self.settings)
        if reason is not None:
            return f"The output cannot be written to {uri}: the place is not allowed ({reason})."
        try:
            self.writer.write(uri, doc)
        except PERMANENT_OUTPUT_ERRORS as exc:
            return f"The output cannot be written to {uri}: {type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - network, S3, disk: retried, then given up
            if self.clock() - since_us >= OUTPUT_RETRY_US:
                return (
                    f"The output could not be written to {uri} within "
                    f"{OUTPUT_RETRY_US // 60_000_000} minutes: {type(exc).__name__}: {exc}"
                )
            log.warning("writing the output of %s failed (will retry): %s", name, exc)
            return "retry"
        return None

    def sweep(self, flow_definition_arn: str | None = None) -> int:
        """Settle every loop that has a transition due; returns how many changed."""
        now = self.clock()
        with self.store.read() as s:
            stmt = select(HumanLoop.name).where(
                (HumanLoop.output_pending == 1)
                | ((HumanLoop.status == "InProgress") & (HumanLoop.expires_us <= now))
                | (HumanLoop.status == "Stopping")
            )
            if flow_definition_arn is not None:
                stmt = stmt.where(HumanLoop.flow_definition_arn == flow_definition_arn)
            names = list(s.scalars(stmt))
        for name in names:
            try:
                self.settle(name)
            except Exception:  # noqa: BLE001 - one loop's failed output must not stop the rest
                log.exception("could not settle human loop %s", name)
        return len(names)


class Sweeper:
    """Runs ``Lifecycle.sweep`` every ``sweep_interval_s`` seconds in a daemon thread."""

    def __init__(self, lifecycle: Lifecycle, interval_s: float) -> None:
        self.lifecycle, self.interval_s = lifecycle, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hitl-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.lifecycle.sweep()
            except Exception:  # noqa: BLE001 - the sweeper thread outlives a failed sweep
                log.exception("sweep failed")
