"""Portal accounts you can trust: server-side sessions, sign-in limits, lockout, disabled workers.

Sessions. The signed cookie (``portal_auth``) names a session id; the session itself lives in the
database (only the id's SHA-256 is stored). A session is live while it is not revoked, not older
than ``SESSION_TTL_S``, its worker is not disabled, and the worker's password hash and bearer-token
hash are what they were at sign-in: so signing out, changing the password, rotating the token
(``hitl-agent workers …``) or disabling the worker ends every copy of the cookie at once, in every
process that shares the database.

Sign-in limits. Failed sign-ins are counted per account and per client address in a sliding
window; past :data:`ACCOUNT_MAX_FAILURES` (or :data:`ADDRESS_MAX_FAILURES` for an address) within
:data:`WINDOW_US` the account (address) is locked for :data:`LOCKOUT_US`: every attempt is
refused without checking the password, even a right one. ``hitl-agent workers unlock NAME`` (or
``--address``) lifts a lock at once.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request

from .clock import Clock, now_us
from .models import DisabledWorker, PortalSessionRow, SignInFailures, Worker
from .storage import Store

SESSION_TTL_US = 12 * 3600 * 1_000_000
WINDOW_US = 15 * 60 * 1_000_000
LOCKOUT_US = 15 * 60 * 1_000_000
ACCOUNT_MAX_FAILURES = 5
ADDRESS_MAX_FAILURES = 20


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _fingerprint(worker: Worker) -> str:
    return _sha(f"{worker.password_hash or ''}\n{worker.token_sha256}")


class PortalAccounts:
    def __init__(self, store: Store, clock: Clock = now_us) -> None:
        self.store, self.clock = store, clock

    # --- sessions ------------------------------------------------------------------------------
    def open_session(self, sid: str, worker_name: str) -> None:
        with self.store.write() as s:
            worker = s.scalars(select(Worker).where(Worker.name == worker_name)).first()
            if worker is None:
                return
            s.add(
                PortalSessionRow(
                    sid_sha256=_sha(sid),
                    worker_pk=worker.id,
                    fingerprint=_fingerprint(worker),
                    created_us=self.clock(),
                )
            )

    def session_is_live(self, sid: str, worker_name: str) -> bool:
        with self.store.read() as s:
            row = s.execute(
                select(PortalSessionRow, Worker)
                .join(Worker, Worker.id == PortalSessionRow.worker_pk)
                .where(PortalSessionRow.sid_sha256 == _sha(sid))
            ).first()
            if row is None:
                return False
            session, worker = row
            disabled = s.scalars(
                select(DisabledWorker.id).where(DisabledWorker.worker_name == worker.name)
            ).first()
            return (
                worker.name == worker_name
                and session.revoked_us is None
                and self.clock() - session.created_us < SESSION_TTL_US
                and session.fingerprint == _fingerprint(worker)
                and disabled is None
            )

    def close_session(self, sid: str) -> None:
        with self.store.write() as s:
            s.execute(
                update(PortalSessionRow)
                .where(PortalSessionRow.sid_sha256 == _sha(sid))
                .values(revoked_us=self.clock())
            )

    def close_all_sessions(self, worker_name: str) -> int:
        with self.store.write() as s:
            pk = s.scalars(select(Worker.id).where(Worker.name == worker_name)).first()
            if pk is None:
                return 0
            result = s.execute(
                update(PortalSessionRow)
                .where(PortalSessionRow.worker_pk == pk, PortalSessionRow.revoked_us.is_(None))
                .values(revoked_us=self.clock())
            )
            return int(getattr(result, "rowcount", 0) or 0)

    # --- disabled workers ----------------------------------------------------------------------
    def disable(self, worker_name: str) -> None:
        with self.store.write() as s:
            if s.scalars(
                select(DisabledWorker.id).where(DisabledWorker.worker_name == worker_name)
            ).first() is None:
                s.add(DisabledWorker(worker_name=worker_name, disabled_us=self.clock()))
        self.close_all_sessions(worker_name)

    def enable(self, worker_name: str) -> None:
        with self.store.write() as s:
            s.execute(delete(DisabledWorker).where(DisabledWorker.worker_name == worker_name))

    def is_disabled(self, worker_name: str) -> bool:
        with self.store.read() as s:
            return (
                s.scalars(
                    select(DisabledWorker.id).where(DisabledWorker.worker_name == worker_name)
                ).first()
                is not None
            )

    # --- sign-in limits ------------------------------------------------------------------------
    def locked_for_s(self, name: str, address: str) -> int:
        """Seconds until sign-in is allowed for this account and address (0: now)."""
        now = self.clock()
        subjects = [f"account:{name[:128]}", f"address:{address[:64]}"]
        with self.store.read() as s:
            rows = s.scalars(select(SignInFailures).where(SignInFailures.subject.in_(subjects)))
            until = max((r.locked_until_us for r in rows), default=0)
        return max(0, -(-(until - now) // 1_000_000))

    def record_signin(self, name: str, address: str, *, ok: bool) -> None:
        try:
            self._record(name, address, ok=ok)
        except IntegrityError:  # another process counted the first failure at the same time
            self._record(name, address, ok=ok)

    def _record(self, name: str, address: str, *, ok: bool) -> None:
        now = self.clock()
        account, where = f"account:{name[:128]}", f"address:{address[:64]}"
        with self.store.write() as s:
            if ok:
                s.execute(delete(SignInFailures).where(SignInFailures.subject == account))
                return
            for subject, limit in ((account, ACCOUNT_MAX_FAILURES), (where, ADDRESS_MAX_FAILURES)):
                row = s.scalars(
                    select(SignInFailures).where(SignInFailures.subject == subject)
                ).first()
                if row is None:
                    row = SignInFailures(
                        subject=subject, failures=0, window_start_us=now, locked_until_us=0
                    )
                    s.add(row)
                if now - row.window_start_us > WINDOW_US:
                    row.failures, row.window_start_us = 0, now
                row.failures += 1
                if row.failures >= limit:
                    row.locked_until_us = now + LOCKOUT_US
                    row.failures, row.window_start_us = 0, now

    def unlock(self, *, name: str | None = None, address: str | None = None) -> int:
        subjects = []
        if name:
            subjects.append(f"account:{name[:128]}")
        if address:
            subjects.append(f"address:{address[:64]}")
        with self.store.write() as s:
            result = s.execute(delete(SignInFailures).where(SignInFailures.subject.in_(subjects)))
            return int(getattr(result, "rowcount", 0) or 0)


def accounts(request: Request) -> PortalAccounts:
    """The app's :class:`PortalAccounts` (over ``app.state.services.store``)."""
    found: PortalAccounts | None = getattr(request.app.state, "portal_accounts", None)
    if found is None:
        services = request.app.state.services
        found = PortalAccounts(services.store, services.workforce.clock)
        request.app.state.portal_accounts = found
    return found
