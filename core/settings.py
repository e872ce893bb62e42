"""Settings, read once from MCS_* environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _var_dir() -> Path:
    return Path(os.environ.get("MCS_VAR_DIR", "var")).resolve()


def _secret_key(var_dir: Path) -> str:
    """MCS_SECRET_KEY, or a random key generated once and kept under ./var (never a constant)."""
    if key := os.environ.get("MCS_SECRET_KEY"):
        return key
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # exclusive create: two processes starting at once keep the same key
    try:
        with open(path, "x") as fh:
            fh.write(key)
        path.chmod(0o600)
    except FileExistsError:
        return path.read_text().strip()
    return key


SMTP_SECURITY = ("none", "starttls", "tls")


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    files_dir: Path
    secret_key: str
    redis_channel: str = "mcs:events"
    timezone: str = "America/Mexico_City"
    debug: bool | None = None  # None: GraphiQL only when serving on a loopback address
    token_ttl_hours: float = 12.0
    duplicate_window_days: int = 30
    yellow_threshold_days: int = 2
    introspection: bool = True
    allowed_origins: tuple[str, ...] = ()
    max_query_depth: int = 15
    max_query_tokens: int = 5000
    max_aliases: int = 200
    max_query_nodes: int = 60_000  # values an answer may hold (schema/cost.py): a page of 100 with 100 each
    max_query_cost: int = 1_000  # pages an operation may read (each connection, per object it is selected on)
    page_size_default: int = 50
    page_size_max: int = 100
    deadline_watch_seconds: float = 60.0  # 0 turns the background deadline watcher off
    realtime_catchup_seconds: float = 5.0  # how often each process checks for events no wake-up announced
    realtime_max_backlog: int = 10_000  # afterSequence further back than this is refused
    realtime_buffer_size: int = 100  # events queued per subscription before it reads from its cursor instead
    realtime_publish_queue: int = 1000  # wake-ups waiting to be published to Redis; past it the oldest are dropped
    shutdown_grace_seconds: float = 30.0  # on SIGTERM, how long requests in flight may take to finish
    db_pool_size: int = 20  # PostgreSQL connections kept per process (as many again may overflow)
    max_connections_per_user: int = 10
    max_subscriptions_per_connection: int = 20
    allowed_file_types: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png", "image/tiff")
    max_file_bytes: int = 50 * 1024 * 1024
    max_request_bytes: int = 200 * 1024 * 1024
    file_url_ttl_seconds: int = 3600
    text_extraction_seconds: float = 5.0  # how often pending attachments are read for search (0: off)
    text_extraction_timeout_seconds: float = 60.0  # one file's reading, OCR included (wall clock and CPU)
    text_extraction_memory_mb: int = 512  # address space of the reading process and of each tool it runs
    ocr_max_pages: int = 20  # pages of a scan read by OCR
    ocr_max_megapixels: float = 25.0  # a page is rendered (an image reduced) to at most this for OCR
    export_max_per_user: int = 2  # Excel exports pending or running at once per user
    export_ttl_hours: float = 24.0  # exports and their files are deleted this long after the request
    export_workers: int = 2  # exports written at once per process (the others wait, PENDING)
    export_stale_seconds: float = 20.0  # a job not touched this long is FAILED (its process died); it beats every 5 s
    export_cleanup_seconds: float = 10.0  # how often expired exports are deleted and stale ones failed (0: off)
    max_json_bytes: int = 1024 * 1024  # a GraphQL request that is not an upload
    header_timeout_seconds: float = 30.0  # a request's headers must be complete by then
    body_timeout_seconds: float = 60.0  # a request's body may make no progress this long
    login_failures_per_minute: int = 60  # failed sign-ins a minute, institution-wide, before unknown clients wait
    login_known_client_days: float = 90.0  # how long an address or device that signed in stays known
    web_dir: Path | None = None  # the built web app (None: web/dist beside the code)
    idempotency_key_hours: float = 24.0  # an Idempotency-Key is answered with its first result this long at least
    staging_sweep_seconds: float = 3600.0  # staged uploads untouched this long are removed, checked this often (0: off)
    public_url: str | None = None  # the address printed QR codes and e-mail links point at (None: the request's own)
    smtp_host: str | None = None  # None: no e-mail
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | tls
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "MCS <mcs@localhost>"
    vapid_private_key: str | None = None  # Web Push's signing key (PEM or base64url); None: one kept in the database
    push_allowed_hosts: tuple[str, ...] = ()  # push endpoints' hosts allowed (empty: any http(s) endpoint)
    notify_seconds: float = 2.0  # how often new events are turned into notifications and those sent (0: off)
    notification_days: float = 180.0  # how long the record of a sent, skipped or failed notification is kept
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> "Settings":
        env = os.environ
        var_dir = _var_dir()
        # one keyword argument of Settings per field, of as many types as the fields have
        values: dict[str, Any] = dict(
            database_url=env.get("MCS_DATABASE_URL") or f"sqlite+aiosqlite:///{var_dir / 'mcs.sqlite3'}",
            redis_url=env.get("MCS_REDIS_URL") or None,
            redis_channel=env.get("MCS_REDIS_CHANNEL", "mcs:events"),
            files_dir=Path(env.get("MCS_FILES_DIR") or var_dir / "files").resolve(),
            secret_key=_secret_key(var_dir) if "secret_key" not in overrides else "",
            timezone=env.get("MCS_TIMEZONE", "America/Mexico_City"),
            debug=_bool(env.get("MCS_DEBUG"), False) if env.get("MCS_DEBUG") else None,
            token_ttl_hours=float(env.get("MCS_TOKEN_TTL_HOURS", "12")),
            duplicate_window_days=int(env.get("MCS_DUPLICATE_WINDOW_DAYS", "30")),
            yellow_threshold_days=int(env.get("MCS_YELLOW_THRESHOLD_DAYS", "2")),
            deadline_watch_seconds=float(env.get("MCS_DEADLINE_WATCH_SECONDS", "60")),
            realtime_catchup_seconds=float(env.get("MCS_REALTIME_CATCHUP_SECONDS", "5")),
            realtime_max_backlog=int(env.get("MCS_REALTIME_MAX_BACKLOG", "10000")),
            realtime_buffer_size=int(env.get("MCS_REALTIME_BUFFER_SIZE", "100")),
            realtime_publish_queue=int(env.get("MCS_REALTIME_PUBLISH_QUEUE", "1000")),
            shutdown_grace_seconds=float(env.get("MCS_SHUTDOWN_GRACE_SECONDS", "30")),
            db_pool_size=int(env.get("MCS_DB_POOL_SIZE", "20")),
            max_connections_per_user=int(env.get("MCS_MAX_CONNECTIONS_PER_USER", "10")),
            max_subscriptions_per_connection=int(env.get("MCS_MAX_SUBSCRIPTIONS_PER_CONNECTION", "20")),
            allowed_file_types=tuple(
                t.strip()
                for t in env.get("MCS_ALLOWED_FILE_TYPES", "application/pdf,image/jpeg,image/png,image/tiff").split(",")
                if t.strip()
            ),
            max_file_bytes=int(float(env.get("MCS_MAX_FILE_MB", "50")) * 1024 * 1024),
            max_request_bytes=int(float(env.get("MCS_MAX_REQUEST_MB", "200")) * 1024 * 1024),
            text_extraction_seconds=float(env.get("MCS_TEXT_EXTRACTION_SECONDS", "5")),
            text_extraction_timeout_seconds=float(env.get("MCS_TEXT_EXTRACTION_TIMEOUT_SECONDS", "60")),
            text_extraction_memory_mb=int(env.get("MCS_TEXT_EXTRACTION_MEMORY_MB", "512")),
            ocr_max_pages=int(env.get("MCS_OCR_MAX_PAGES", "20")),
            ocr_max_megapixels=float(env.get("MCS_OCR_MAX_MEGAPIXELS", "25")),
            export_max_per_user=int(env.get("MCS_EXPORT_MAX_PER_USER", "2")),
            export_ttl_hours=float(env.get("MCS_EXPORT_TTL_HOURS", "24")),
            export_workers=int(env.get("MCS_EXPORT_WORKERS", "2")),
            export_stale_seconds=float(env.get("MCS_EXPORT_STALE_SECONDS", "20")),
            export_cleanup_seconds=float(env.get("MCS_EXPORT_CLEANUP_SECONDS", "10")),
            public_url=env.get("MCS_PUBLIC_URL") or None,
            smtp_host=env.get("MCS_SMTP_HOST") or None,
            smtp_port=int(
                env.get("MCS_SMTP_PORT") or {"tls": 465, "starttls": 587}.get(env.get("MCS_SMTP_SECURITY", "none"), 25)
            ),
            smtp_security=env.get("MCS_SMTP_SECURITY", "none"),
            smtp_user=env.get("MCS_SMTP_USER") or None,
            smtp_password=env.get("MCS_SMTP_PASSWORD") or None,
            smtp_from=env.get("MCS_SMTP_FROM") or "MCS <mcs@localhost>",
            notify_seconds=float(env.get("MCS_NOTIFY_SECONDS", "2")),
            notification_days=float(env.get("MCS_NOTIFICATION_DAYS", "180")),
            vapid_private_key=env.get("MCS_VAPID_PRIVATE_KEY") or None,
            push_allowed_hosts=tuple(
                h.strip().lower() for h in env.get("MCS_PUSH_ALLOWED_HOSTS", "").split(",") if h.strip()
            ),
            idempotency_key_hours=float(env.get("MCS_IDEMPOTENCY_KEY_HOURS", "24")),
            staging_sweep_seconds=float(env.get("MCS_STAGING_SWEEP_SECONDS", "3600")),
            web_dir=Path(env["MCS_WEB_DIR"]).resolve() if env.get("MCS_WEB_DIR") else None,
            login_failures_per_minute=int(env.get("MCS_LOGIN_FAILURES_PER_MINUTE", "60")),
            login_known_client_days=float(env.get("MCS_LOGIN_KNOWN_CLIENT_DAYS", "90")),
            max_json_bytes=int(float(env.get("MCS_MAX_JSON_KB", "1024")) * 1024),
            header_timeout_seconds=float(env.get("MCS_HEADER_TIMEOUT_SECONDS", "30")),
            body_timeout_seconds=float(env.get("MCS_BODY_TIMEOUT_SECONDS", "60")),
            max_query_nodes=int(env.get("MCS_MAX_QUERY_NODES", "60000")),
            max_query_cost=int(env.get("MCS_MAX_QUERY_COST", "1000")),
            introspection=_bool(env.get("MCS_INTROSPECTION"), True),
            allowed_origins=tuple(o.strip() for o in env.get("MCS_ALLOWED_ORIGINS", "").split(",") if o.strip()),
        )
        values.update(overrides)
        if values["smtp_security"] not in SMTP_SECURITY:
            raise ValueError(f"MCS_SMTP_SECURITY debe ser {', '.join(SMTP_SECURITY)}; no «{values['smtp_security']}».")
        return cls(**values)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
