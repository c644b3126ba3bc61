"""Wiring: one ``ReviewServices`` holds the store and every backend, with or without HTTP.

The FastAPI app keeps it in ``app.state.services``; the CLI builds one over ``--data`` directly; the
worker portal reaches ``services.workforce`` and ``services.tasks``.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import access_keys as _access_keys  # noqa: F401  (its table, created with the rest)
from . import pagination
from . import portal_accounts as _portal_accounts  # noqa: F401  (its tables)
from .clock import Clock, now_us
from .control_plane import ControlPlaneBackend
from .events import EventLog, WebhookSender
from .gold import GoldBook
from .lifecycle import Lifecycle, Sweeper
from .live_aggregation import LiveAggregation
from .output import OutputWriter
from .runtime import RuntimeBackend
from .settings import ServiceSettings
from .storage import Store
from .tasks import TaskBoard
from .workforce import Workforce


@dataclass
class ReviewServices:
    settings: ServiceSettings
    store: Store
    lifecycle: Lifecycle
    runtime: RuntimeBackend
    control: ControlPlaneBackend
    workforce: Workforce
    tasks: TaskBoard
    events: EventLog
    sender: WebhookSender
    sweeper: Sweeper
    gold: GoldBook
    aggregation: LiveAggregation

    def start_background(self) -> None:
        """Start the sweeper and webhook sender threads."""
        self.sweeper.start()
        self.sender.start()

    def close(self) -> None:
        self.sweeper.stop()
        self.sender.stop()
        self.runtime.close()
        self.store.dispose()


def build_services(settings: ServiceSettings, *, clock: Clock = now_us) -> ReviewServices:
    """Open (and create if needed) the database and build every backend over it."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url())
    store.create_schema()
    secret = _access_keys.load_service_secret(settings.data_dir)
    pagination.set_token_key(_access_keys.derive_key(secret, "pagination"))
    sender = WebhookSender(store, settings, clock)
    lifecycle = Lifecycle(store, settings, OutputWriter(settings), clock, on_event=sender.wake.set)
    workforce = Workforce(store, settings, clock)
    runtime = RuntimeBackend(store, settings, lifecycle, clock)
    gold = GoldBook(store, clock)
    aggregation = LiveAggregation(store, clock)
    runtime.after_start = gold.after_start
    runtime.gold_idle = gold.no_gold_due
    lifecycle.annotate = aggregation.annotate
    return ReviewServices(
        settings=settings,
        store=store,
        lifecycle=lifecycle,
        runtime=runtime,
        control=ControlPlaneBackend(store, settings, clock),
        workforce=workforce,
        tasks=TaskBoard(store, lifecycle, workforce.issuer, clock),
        events=EventLog(store, settings, clock),
        sender=sender,
        sweeper=Sweeper(lifecycle, settings.sweep_interval_s),
        gold=gold,
        aggregation=aggregation,
    )
