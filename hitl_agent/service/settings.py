"""Settings of the A2I-compatible review service (one pydantic model, passed to ``create_app``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hitl_agent import data_folder
from hitl_agent._lazy import lazy_exports

DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_PORT = 8765


__getattr__, __dir__ = lazy_exports(globals(), deprecated={
    "default_data_dir": "hitl_agent.data_folder:data_dir",  # the one reader of $HITL_DATA
})


class ServiceSettings(BaseModel):
    """Everything the service needs to run; every field has a working default."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path = Field(default_factory=data_folder.data_dir, description="Data folder.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (postgresql+psycopg://…); default SQLite in data_dir.",
    )
    region: str = "us-east-1"
    account_id: str = Field(default=DEFAULT_ACCOUNT_ID, pattern=r"^[0-9]{12}$")
    strict_names: bool = Field(
        default=False,
        description="Enforce A2I's documented lowercase HumanLoopName pattern.",
    )
    max_task_count: int = Field(
        default=3, ge=1, le=1000, description="Largest TaskCount a flow definition may ask for."
    )
    default_task_availability_s: int = Field(default=864_000, ge=1)
    default_task_time_limit_s: int = Field(default=3_600, ge=1)
    s3_endpoint_url: str | None = Field(
        default=None, description="S3 endpoint for s3:// outputs (None: AWS's own)."
    )
    s3_region: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    public_url: str | None = Field(
        default=None,
        description="Base URL clients reach the service at (for UiTemplate.Url); "
        "default: the URL of each request.",
    )
    webhook_urls: list[str] = Field(default_factory=list)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff_s: float = Field(default=0.5, gt=0)
    webhook_timeout_s: float = Field(default=5.0, gt=0)
    sweep_interval_s: float = Field(
        default=5.0, gt=0, description="How often expiry, stops and pending outputs are settled."
    )
    max_active_loops: int | None = Field(
        default=None, ge=1, description="Active-loop quota (402 ServiceQuotaExceeded past it)."
    )
    throttle_rps: float | None = Field(
        default=None, gt=0, description="Runtime requests per second per process (429 past it)."
    )
    admin_token: str | None = Field(
        default=None,
        description="With auth off (--no-auth): a bearer token the /hitl/events endpoints need.",
    )
    background: bool = Field(
        default=True, description="Run the sweeper and webhook sender threads."
    )
    # --- security (see docs/security.md) -----------------------------------------------------
    auth: bool = Field(
        default=True,
        description="Verify SigV4 on the A2I, SageMaker and /hitl APIs (off only on loopback).",
    )
    output_roots: list[Path] = Field(
        default_factory=list,
        description="Folders local outputs may go under (default: the data folder's output/).",
    )
    max_body_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="Largest request body read (413 past it)."
    )
    header_timeout_s: float = Field(
        default=10.0, gt=0, description="Time a client has to send a request's headers."
    )
    max_connections_per_client: int = Field(
        default=64, ge=1, description="Open connections one address may hold."
    )
    tls: bool = Field(
        default=False, description="Served over TLS (--tls-cert): Secure cookies and HSTS."
    )
    trust_proxy_tls: bool = Field(
        default=False,
        description="Believe X-Forwarded-Proto: https from the proxy in front (TLS ends there).",
    )
    render_timeout_s: float = Field(
        default=2.0, gt=0, description="Time budget of one RenderUiTemplate / task render."
    )
    render_max_chars: int = Field(
        default=2_000_000, ge=1000, description="Largest rendered template (characters)."
    )

    @field_validator("webhook_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"webhook URL must be http(s): {url!r}")
        return urls

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{data_folder.DataFolder(self.data_dir).service_db.resolve()}"

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{kind}/{name}"
