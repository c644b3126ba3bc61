"""The task board: what a worker may do, claims and answers (worker API and portal share it).

A loop offers ``TaskCount`` assignments. A worker may hold one claim per loop; a claim lasts
``TaskTimeLimitInSeconds`` and counts against the assignments until it expires or is released.
Each worker answers a loop at most once (a unique index guarantees it across processes). Claims
and answers run inside ``Store.write()`` with the loop row locked, so concurrent workers on several
processes can neither over-claim a loop nor lose or double-count an answer. The answer is
committed before ``submit`` returns; when it is the last one, the output is written and the loop
completes.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .answer_choices import check_answer, choices_of
from .clock import Clock, iso_ms, now_us
from .errors import ConflictException, ResourceNotFoundException, ValidationException
from .lifecycle import Lifecycle, active_claims, answer_count
from .models import Answer, Claim, HumanLoop, HumanTaskUi
from .pagination import encode_position
from .storage import Store
from .task_scan import COUNT_CAP, Scope, count_rows, decode_scan_position, scan_rows
from .workforce import WorkerInfo

log = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 3_145_728
TASK_SCOPE = Scope(sort="created")
"""The worker API lists every loop of the worker's teams, oldest first."""
TASK_ORDER = "worker-tasks"
"""The order named in the worker API's page tokens (the portal's tokens name their sort)."""


@dataclass(frozen=True)
class TaskSummary:
    humanLoopName: str
    humanLoopArn: str
    flowDefinitionArn: str
    taskTitle: str | None
    taskDescription: str | None
    taskKeywords: list[str]
    creationTime: str
    expiresAt: str
    taskCount: int
    answerCount: int
    claimedByMe: bool
    claimExpiresAt: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TaskPage:
    """A page of tasks and the token of the next one (None on the last page)."""

    tasks: list[TaskSummary]
    next_token: str | None


@dataclass(frozen=True)
class TaskDetail(TaskSummary):
    input: Any
    humanTaskUiArn: str | None
    uiTemplate: str | None


@dataclass(frozen=True)
class ClaimInfo:
    humanLoopName: str
    acceptanceTime: str
    expiresAt: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SubmitResult:
    humanLoopName: str
    humanLoopStatus: str
    answerCount: int
    taskCount: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"No task '{name}' for this worker", field="humanLoopName")


class TaskBoard:
    def __init__(
        self, store: Store, lifecycle: Lifecycle, issuer: str, clock: Clock = now_us
    ) -> None:
        self.store, self.lifecycle, self.issuer, self.clock = store, lifecycle, issuer, clock

    # --- reading -------------------------------------------------------------------------------
    def list_tasks(self, worker: WorkerInfo, *, limit: int = 100) -> list[TaskSummary]:
        """Loops the worker can work on now, oldest first (those it has claimed included)."""
        return self.page_tasks(worker, limit=limit).tasks

    def page_tasks(
        self, worker: WorkerInfo, *, limit: int = 100, token: str | None = None
    ) -> TaskPage:
        """One page of :meth:`list_tasks` from ``token`` (the ``next_token`` of the page before;
        None: the first page), read in the order of an index from the previous page's last row
        (:mod:`.task_scan`), so a page costs the same whatever the backlog. A signed token that
        does not decode is a ValidationException naming ``nextToken``."""
        after = None
        if token is not None:
            after, _ = decode_scan_position(token, TASK_ORDER, TASK_SCOPE.sort,
                                            field="nextToken")
        if not worker.teams:
            return TaskPage([], None)
        now = self.clock()
        with self.store.read() as s:
            found = scan_rows(s, worker, TASK_SCOPE, limit + 1, now, after)
            page = found[:limit]
            tasks = [summary for _, summary in self.load(s, [pk for pk, _ in page], worker, now)]
        following = None
        if len(found) > limit:
            following = encode_position(TASK_ORDER, page[-1][1], 0)
        return TaskPage(tasks, following)

    def load(
        self, s: Session, pks: list[int], worker: WorkerInfo, now: int
    ) -> list[tuple[HumanLoop, TaskSummary]]:
        """The loops ``pks`` (in that order) with their summaries for ``worker``."""
        if not pks:
            return []
        rows = s.scalars(select(HumanLoop).where(HumanLoop.id.in_(pks)))
        loops = {loop.id: loop for loop in rows}
        per_loop = (
            select(Answer.loop_pk, func.count(Answer.id))
            .where(Answer.loop_pk.in_(pks))
            .group_by(Answer.loop_pk)
        )
        counts: dict[int, int] = {pk: n for pk, n in s.execute(per_loop)}
        claims = {
            c.loop_pk: c
            for c in s.scalars(
                select(Claim).where(Claim.loop_pk.in_(pks), Claim.worker_pk == worker.pk)
            )
        }
        return [
            (loops[pk], self._summary_of(loops[pk], claims.get(pk), counts.get(pk, 0), now))
            for pk in pks
        ]

    def count_tasks(self, worker: WorkerInfo, *, cap: int = COUNT_CAP) -> int:
        """How many loops :meth:`list_tasks` would list without a limit, counted up to
        ``cap + 1``: a bounded cost whatever the backlog; a result above ``cap`` means "more
        than ``cap``" (the portal shows "more than 1,000")."""
        if not worker.teams:
            return 0
        with self.store.read() as s:
            return count_rows(s, worker, TASK_SCOPE, self.clock(), cap)

    def _summary(self, s: Session, loop: HumanLoop, worker: WorkerInfo, now: int) -> TaskSummary:
        return self._summary_of(
            loop, self._my_claim(s, loop, worker), answer_count(s, loop.id), now
        )

    @staticmethod
    def _summary_of(loop: HumanLoop, claim: Claim | None, answers: int, now: int) -> TaskSummary:
        held = claim is not None and claim.state == "active" and claim.expires_us > now
        return TaskSummary(
            humanLoopName=loop.name,
            humanLoopArn=loop.arn,
            flowDefinitionArn=loop.flow_definition_arn,
            taskTitle=loop.task_title,
            taskDescription=loop.task_description,
            taskKeywords=json.loads(loop.task_keywords) if loop.task_keywords else [],
            creationTime=iso_ms(loop.created_us),
            expiresAt=iso_ms(loop.expires_us),
            taskCount=loop.task_count,
            answerCount=answers,
            claimedByMe=held,
            claimExpiresAt=iso_ms(claim.expires_us) if held and claim is not None else None,
        )

    def get_task(self, worker: WorkerInfo, name: str) -> TaskDetail:
        """One loop of the worker's teams with its input and task template (any status)."""
        with self.store.read() as s:
            loop = self.store.get_loop(s, name)
            if loop is None or loop.workteam_name not in worker.teams:
                raise _not_found(name)
            summary = self._summary(s, loop, worker, self.clock())
            template = None
            if loop.human_task_ui_arn:
                template = s.scalars(
                    select(HumanTaskUi.content).where(HumanTaskUi.arn == loop.human_task_ui_arn)
                ).first()
            return TaskDetail(
                **asdict(summary),
                input=json.loads(loop.input_content),
                humanTaskUiArn=loop.human_task_ui_arn,
                uiTemplate=template,
            )

    # --- claims --------------------------------------------------------------------------------
    def _locked(self, s: Session, worker: WorkerInfo, name: str) -> HumanLoop:
        loop = self.store.lock_loop(s, name)
        if loop is None or loop.workteam_name not in worker.teams:
            raise _not_found(name)
        return loop

    @staticmethod
    def _my_claim(s: Session, loop: HumanLoop, worker: WorkerInfo) -> Claim | None:
        return s.scalars(
            select(Claim).where(Claim.loop_pk == loop.id, Claim.worker_pk == worker.pk)
        ).first()

    def _check_open(self, s: Session, loop: HumanLoop) -> None:
        if loop.status == "InProgress" and not loop.output_pending:
            if self.clock() < loop.expires_us:
                return
            # (the sweeper or the next read records the expiry: this transaction rolls back)
            raise ConflictException(f"Human loop '{loop.name}' has expired", field="humanLoopName")
        raise ConflictException(
            f"Human loop '{loop.name}' is {loop.status} and takes no more answers",
            field="humanLoopName",
        )

    def _take(self, s: Session, loop: HumanLoop, worker: WorkerInfo, now: int) -> Claim:
        """The worker's active claim on the locked loop, taking one if an assignment is free."""
        if (
            s.scalars(
                select(Answer.id).where(Answer.loop_pk == loop.id, Answer.worker_pk == worker.pk)
            ).first()
            is not None
        ):
            raise ConflictException(
                f"Worker '{worker.name}' has already answered '{loop.name}'", field="humanLoopName"
            )
        claim = self._my_claim(s, loop, worker)
        if claim is not None and claim.state == "active" and claim.expires_us > now:
            return claim
        self._check_open(s, loop)
        taken = answer_count(s, loop.id) + active_claims(s, loop.id, now)
        if taken >= loop.task_count:
            raise ConflictException(
                f"All {loop.task_count} assignments of '{loop.name}' are taken",
                field="humanLoopName",
            )
        expires = now + loop.task_time_limit_s * 1_000_000
        if claim is None:
            claim = Claim(
                loop_pk=loop.id,
                worker_pk=worker.pk,
                state="active",
                claimed_us=now,
                expires_us=expires,
            )
            s.add(claim)
        else:
            claim.state, claim.claimed_us, claim.expires_us = "active", now, expires
        s.flush()
        return claim

    def claim(self, worker: WorkerInfo, name: str) -> ClaimInfo:
        """Hold one of the loop's assignments for TaskTimeLimitInSeconds (idempotent)."""
        with self.store.write() as s:
            loop = self._locked(s, worker, name)
            claim = self._take(s, loop, worker, self.clock())
            return ClaimInfo(
                humanLoopName=name,
                acceptanceTime=iso_ms(claim.claimed_us),
                expiresAt=iso_ms(claim.expires_us),
            )

    def release(self, worker: WorkerInfo, name: str, *, decline: bool = False) -> None:
        """Give the assignment back; ``decline`` also hides the task from this worker."""
        ended = False
        with self.store.write() as s:
            loop = self._locked(s, worker, name)
            claim = self._my_claim(s, loop, worker)
            now = self.clock()
            if claim is None:
                if decline:
                    s.add(
                        Claim(
                            loop_pk=loop.id,
                            worker_pk=worker.pk,
                            state="declined",
                            claimed_us=now,
                            expires_us=now,
                        )
                    )
            elif claim.state != "submitted":
                claim.state = "declined" if decline else "released"
                claim.expires_us = min(claim.expires_us, now)
            s.flush()
            ended = self.lifecycle.settle_locked(s, loop)
        if ended:
            self.lifecycle.notify()

    # --- answers -------------------------------------------------------------------------------
    def submit(
        self,
        worker: WorkerInfo,
        name: str,
        answer_content: dict[str, Any],
        *,
        complete: bool = True,
    ) -> SubmitResult:
        """Record the worker's answer durably; completes the loop when it is the last one.

        ``complete=False`` leaves a last answer's output pending for the caller to write after
        replying (``Lifecycle.complete``; the sweeper and the next read do it otherwise).
        """
        if not isinstance(answer_content, dict):
            raise ValidationException("answerContent must be a JSON object", field="answerContent")
        encoded = json.dumps(answer_content, ensure_ascii=False)
        if len(encoded) > MAX_ANSWER_CHARS:
            raise ValidationException(
                f"answerContent must be at most {MAX_ANSWER_CHARS} characters",
                field="answerContent",
            )
        self._check_choices(name, answer_content)
        try:
            result, pending = self._submit(worker, name, encoded)
        except IntegrityError as exc:  # the unique (loop, worker) index: answered elsewhere
            raise ConflictException(
                f"Worker '{worker.name}' has already answered '{name}'", field="humanLoopName"
            ) from exc
        if pending and complete:
            try:
                self.lifecycle.complete(name)
            except Exception:  # noqa: BLE001 - the answer is safe; the sweeper retries the output
                log.exception("writing the output of %s failed; will retry", name)
            with self.store.read() as s:
                status = s.scalars(select(HumanLoop.status).where(HumanLoop.name == name)).first()
            result = SubmitResult(
                result.humanLoopName,
                status or result.humanLoopStatus,
                result.answerCount,
                result.taskCount,
            )
        return result

    def _check_choices(self, name: str, answer_content: dict[str, Any]) -> None:
        """Refuse an answer that picks a category the task's page does not offer."""
        with self.store.read() as s:
            row = s.execute(
                select(HumanLoop.input_content, HumanTaskUi.content)
                .join(HumanTaskUi, HumanTaskUi.arn == HumanLoop.human_task_ui_arn)
                .where(HumanLoop.name == name)
            ).first()
        if row is None:
            return
        from . import liquid  # the renderer is loaded only where it is used

        task_input = json.loads(row[0])
        try:
            rendered = liquid.render_template(
                row[1], task_input if isinstance(task_input, dict) else {"value": task_input}
            )
        except liquid.TemplateError:
            return  # a broken template is reported where it is shown
        check_answer(answer_content, choices_of(rendered))

    def _submit(self, worker: WorkerInfo, name: str, encoded: str) -> tuple[SubmitResult, bool]:
        ended = False
        with self.store.write() as s:
            loop = self._locked(s, worker, name)
            now = self.clock()
            if loop.status == "Stopping":
                claim = self._my_claim(s, loop, worker)
                if claim is None or claim.state != "active" or claim.expires_us <= now:
                    raise ConflictException(
                        f"Human loop '{name}' is stopping", field="humanLoopName"
                    )
            else:
                claim = self._take(s, loop, worker, now)
            claim.state = "submitted"
            s.add(
                Answer(
                    loop_pk=loop.id,
                    worker_pk=worker.pk,
                    worker_id=worker.worker_id,
                    answer_content=encoded,
                    acceptance_us=claim.claimed_us,
                    submission_us=now,
                    time_spent_s=round((now - claim.claimed_us) / 1_000_000, 3),
                    worker_metadata=json.dumps(worker.metadata(self.issuer)),
                )
            )
            s.flush()
            count = answer_count(s, loop.id)
            if loop.status == "InProgress" and count >= loop.task_count:
                loop.output_pending = 1
                loop.updated_us = now
            elif loop.status == "Stopping":
                ended = self.lifecycle.settle_locked(s, loop)
            result = SubmitResult(name, loop.status, count, loop.task_count)
            pending = bool(loop.output_pending)
        if ended:
            self.lifecycle.notify()
        return result, pending
