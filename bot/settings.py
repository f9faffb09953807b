"""Runtime configuration from environment variables (prefix VAGVISAREN_); defaults work locally."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.labels import LANGUAGES, Language

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Ports, URLs and paths shared by the gateway, the action server and the stack runner."""

    model_config = SettingsConfigDict(env_prefix="VAGVISAREN_")

    host: str = "127.0.0.1"
    gateway_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_url: str = "http://127.0.0.1:5005"
    # The Rasa replicas the gateway spreads conversations over (comma-separated base URLs;
    # unset: rasa_url alone), and how long one that failed is left out (bot/api/replicas.py).
    rasa_urls: str | None = None
    rasa_replica_down_s: float = 10.0
    # How long the retry on the next replica may take (unset: rasa_timeout_s). The scaled stack
    # waits out the lock a replica killed mid-turn leaves in Redis (bot/scaled.py).
    rasa_retry_timeout_s: float | None = None
    action_server_url: str = "http://127.0.0.1:5055"
    # Every action server, for /healthz (comma-separated base URLs; unset: action_server_url).
    # The scaled stack's Rasa replica i calls action server i mod M, so each one must be up.
    action_server_urls: str | None = None
    # Token for Rasa's HTTP API (tracker, status). No default: unset, a random one is made at
    # first start in var_dir/rasa-token (mode 0600); read it with bot.rasa_token.rasa_token().
    rasa_token: str | None = None
    rasa_timeout_s: float = 8.0
    var_dir: Path = ROOT / "var"
    knowledge_dir: Path = ROOT / "knowledge"
    # The language of a conversation until the user shows theirs (one of bot.labels.LANGUAGES).
    default_language: Language = "sv"
    max_message_chars: int = 1000
    # Counsellor view (issue 7). Rasa's tracker store: a SQLAlchemy URL, or else a SQLite path
    # (the stack sets VAGVISAREN_TRACKER_DB), or else var_dir/tracker.db.
    tracker_url: str | None = None
    tracker_db: Path | None = None
    # Rasa's SQL event broker (endpoints.yml `event_broker`), which the summaries and the
    # transcripts read: a SQLAlchemy URL, or else a SQLite path (the stack sets
    # VAGVISAREN_BROKER_DB), or else var_dir/events.db. Its own database: the broker's table is
    # called `events` too.
    broker_url: str | None = None
    broker_db: Path | None = None
    # The app's own tables (bot/storage): a SQLAlchemy URL such as
    # postgresql+psycopg2://user:password@host/vagvisaren; unset, SQLite in var_dir/app.db.
    database_url: str | None = None
    # A shared store for the gateway's rate limits (bot/api/ratelimit.py), e.g.
    # redis://127.0.0.1:6379/0, so several gateway workers count together; unset, in-process.
    redis_url: str | None = None
    # Rasa's lock store, read by the gateway too so that /healthz checks the Redis Rasa uses:
    # the same variables as endpoints.yml's (bot/local_services.py ENDPOINT_DEFAULTS).
    lock_store: str = "in_memory"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    retention_days: int = 90
    audit_retention_days: int = 365
    counsellor_session_hours: int = 8
    # The session cookie is Secure whenever the login came over HTTPS; true forces it always
    # (for a TLS proxy that forwards plain HTTP without X-Forwarded-Proto).
    cookie_secure: bool = False
    # Failed counsellor logins allowed per account name and per client IP in the window.
    login_failures_per_account: int = 5
    login_failures_per_ip: int = 20
    login_window_s: float = 900.0
    # The gateway runs the retention purge itself this often (0: never; then run it by cron).
    purge_interval_hours: float = 24.0

    def rasa_url_list(self) -> list[str]:
        """The Rasa replicas' base URLs, in the order given."""
        urls = [url.strip().rstrip("/") for url in (self.rasa_urls or "").split(",")]
        return [url for url in urls if url] or [self.rasa_url.rstrip("/")]

    def action_server_url_list(self) -> list[str]:
        """The action servers' base URLs, in the order given."""
        urls = [url.strip().rstrip("/") for url in (self.action_server_urls or "").split(",")]
        return [url for url in urls if url] or [self.action_server_url.rstrip("/")]

    def tracker_store_url(self) -> str:
        """Where Rasa's `events` table lives, as a SQLAlchemy URL."""
        if self.tracker_url:
            return self.tracker_url
        return f"sqlite:///{self.tracker_db or self.var_dir / 'tracker.db'}"

    def event_broker_url(self) -> str:
        """Where Rasa's SQL event broker writes its `events` table, as a SQLAlchemy URL."""
        if self.broker_url:
            return self.broker_url
        return f"sqlite:///{self.broker_db or self.var_dir / 'events.db'}"

    def app_db_url(self) -> str:
        """The application's own database (sign-ups, handovers, counsellor data), as a
        SQLAlchemy URL: `database_url`, or else SQLite in var_dir/app.db."""
        return self.database_url or f"sqlite:///{self.var_dir / 'app.db'}"
    # Gateway rate limits (moving window; in-process, or in Redis with redis_url): messages per
    # window per session / per IP.
    rate_limit_per_session: int = 30
    rate_limit_per_ip: int = 30
    rate_limit_window_s: float = 60.0
    # Origins (comma-separated, or "*") of school pages allowed to call /api/chat from a browser.
    allowed_origins: str = "*"
    # `python -m bot.stack run` supervises the services (bot/supervisor.py): a check every
    # interval, a restart after `failures` failed checks in a row or a start that never gets
    # ready, exponential backoff from first to max, and a loud report when a service restarts
    # `flapping_restarts` times within the window.
    supervise_interval_s: float = 2.0
    supervise_failures: int = 3
    supervise_check_timeout_s: float = 2.0
    supervise_start_timeout_s: float = 240.0
    supervise_backoff_first_s: float = 1.0
    supervise_backoff_max_s: float = 60.0
    supervise_flapping_restarts: int = 5
    supervise_flapping_window_s: float = 600.0


@lru_cache
def get_settings() -> Settings:
    """Settings are read once per process."""
    return Settings()


def language_or_default(code: object) -> Language:
    """`code` when it is one of our languages, else the configured default language."""
    for language in LANGUAGES:
        if code == language:
            return language
    return get_settings().default_language
