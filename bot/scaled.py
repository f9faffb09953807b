"""The scaled stack (`make run-scaled`): N Rasa servers and M action servers on Rasa's own
scaling components, PostgreSQL and Redis run locally, and the gateway in front.

- Every Rasa replica reads endpoints.yml with the SQL tracker store on PostgreSQL and the
  Redis lock store (the VAGVISAREN_TRACKER_* and VAGVISAREN_LOCK_STORE/REDIS_* variables),
  so any replica can answer any message and two never work on one conversation at once.
- Rasa replica i calls action server i mod M (Rasa takes one action-server URL; behind a
  balancer, as in deploy/, they would all call the same one).
- Every replica publishes its events to Rasa's SQL event broker, a second PostgreSQL
  database (VAGVISAREN_BROKER_*), from which the gateway builds the summaries
  (VAGVISAREN_BROKER_URL); the retention purge also deletes from the tracker store
  (VAGVISAREN_TRACKER_URL).
- The gateway spreads conversations over the Rasa replicas (VAGVISAREN_RASA_URLS; see
  bot/api/replicas.py).
- Each process is supervised as in `make run` (bot/supervisor.py): one that fails is restarted
  alone. PostgreSQL and Redis are started first and stopped last (bot/local_services.py); one
  whose process is gone is started again within the supervisor's interval (`watch_stores`).
  One that hangs is not restarted; the gateway's /healthz reports it (tracker_store,
  lock_store).
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import typer

from bot.local_services import PG_EVENTS_DB, LocalServiceError, Postgres, Redis
from bot.serving import serve
from bot.settings import get_settings
from bot.stack import Ports, Stack, free_port, kind

# Seconds a conversation's lock lives in Redis (Rasa's TICKET_LOCK_LIFETIME).
LOCK_LIFETIME_S = 10
# A store that died is started again within one supervisor round, given this long to start;
# after a failed start, it is tried again this much later.
STORE_START_TIMEOUT_S = 30.0
STORE_RETRY_S = 30.0

log = logging.getLogger("vagvisaren.supervisor")


@dataclass
class ScaledStack(Stack):
    """`Stack` with replicas: services "actions-1".."actions-M", "rasa-1".."rasa-N" and
    "gateway", on PostgreSQL and Redis (started by `start_stores`)."""

    rasa_ports: tuple[int, ...] = ()
    action_ports: tuple[int, ...] = ()
    postgres: Postgres | None = None
    redis: Redis | None = None
    names: tuple[str, ...] = field(init=False, default=())
    _store_retry_at: dict[str, float] = field(init=False, default_factory=dict)
    _stores_stopping: threading.Event = field(init=False, default_factory=threading.Event)
    _stores_lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.rasa_ports or not self.action_ports:
            raise ValueError("a scaled stack needs at least one Rasa and one action server")
        self.ports = Ports(self.rasa_ports[0], self.action_ports[0], self.ports.gateway)
        self.postgres = self.postgres or Postgres(self.var_dir)
        self.redis = self.redis or Redis(self.var_dir)
        self.names = (*(f"actions-{i + 1}" for i in range(len(self.action_ports))),
                      *(f"rasa-{i + 1}" for i in range(len(self.rasa_ports))), "gateway")

    @classmethod
    def on_free_ports(cls, var_dir: Path, rasa: int = 2, actions: int = 2,
                      extra_env: dict[str, str] | None = None) -> ScaledStack:
        """A scaled stack on free loopback ports, PostgreSQL and Redis included (tests)."""
        return cls(Ports(0, 0, free_port()), var_dir, extra_env=extra_env or {},
                   rasa_ports=tuple(free_port() for _ in range(rasa)),
                   action_ports=tuple(free_port() for _ in range(actions)),
                   postgres=Postgres(var_dir, port=free_port()),
                   redis=Redis(var_dir, port=free_port()))

    def _port(self, name: str) -> int:
        if name == "gateway":
            return self.ports.gateway
        ports = self.rasa_ports if kind(name) == "rasa" else self.action_ports
        return ports[int(name.rsplit("-", 1)[1]) - 1]

    def base_url(self, name: str) -> str:
        return f"http://{self.host}:{self._port(name)}"

    @property
    def rasa_urls(self) -> list[str]:
        return [self.base_url(n) for n in self.names if kind(n) == "rasa"]

    @property
    def action_urls(self) -> list[str]:
        return [self.base_url(n) for n in self.names if kind(n) == "actions"]

    def action_url_for(self, rasa_name: str) -> str:
        """The action server that Rasa replica `rasa_name` calls: i mod M."""
        index = int(rasa_name.rsplit("-", 1)[1]) - 1
        return f"http://{self.host}:{self.action_ports[index % len(self.action_ports)]}"

    def health_urls(self) -> dict[str, str]:
        paths = {"actions": "/health", "rasa": f"/status?token={self.token}",
                 "gateway": "/healthz"}
        return {name: f"{self.base_url(name)}{paths[kind(name)]}" for name in self.names}

    def store_env(self) -> dict[str, str]:
        """What every service needs to find PostgreSQL and Redis."""
        assert self.postgres is not None and self.redis is not None
        return {**self.postgres.endpoint_env(), **self.redis.endpoint_env(),
                "VAGVISAREN_TRACKER_URL": self.postgres.url("postgresql+psycopg2"),
                # the summaries read Rasa's SQL event broker, in its own database
                "VAGVISAREN_BROKER_URL": self.postgres.url("postgresql+psycopg2", PG_EVENTS_DB),
                # the app's own tables and the shared rate limits (bot/storage, ratelimit)
                "VAGVISAREN_DATABASE_URL": self.postgres.url("postgresql+psycopg2"),
                "VAGVISAREN_REDIS_URL": f"redis://127.0.0.1:{self.redis.port}/0"}

    def env(self, name: str | None = None) -> dict[str, str]:
        env = super().env(name)
        env.update(self.store_env())
        env["VAGVISAREN_RASA_URLS"] = ",".join(self.rasa_urls)
        env["VAGVISAREN_ACTION_SERVER_URLS"] = ",".join(self.action_urls)  # all, for /healthz
        # The retry on the next replica outlasts the lock a replica killed mid-turn leaves.
        env.setdefault("VAGVISAREN_RASA_RETRY_TIMEOUT_S", str(LOCK_LIFETIME_S + 4))
        if name is not None and kind(name) == "rasa":
            env["VAGVISAREN_ACTION_URL"] = f"{self.action_url_for(name)}/webhook"
            # A replica killed during a turn leaves its ticket in Redis: the conversation waits
            # until it expires (Rasa: 60 s). The gateway gives up on a turn after 8 s anyway.
            env.setdefault("TICKET_LOCK_LIFETIME", str(LOCK_LIFETIME_S))
        env.update(self.extra_env)
        return env

    def commands(self) -> dict[str, list[str]]:
        """Stack's commands, one per replica, each on its own port."""
        single = super().commands()
        commands = {}
        for name in self.names:
            command = list(single[kind(name)])
            command[command.index("--port") + 1] = str(self._port(name))
            commands[name] = command
        return commands

    def start_stores(self) -> None:
        """PostgreSQL and Redis, before any Rasa replica (they wait for neither)."""
        assert self.postgres is not None and self.redis is not None
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.postgres.start()
        self.redis.start()

    def stop_stores(self) -> None:
        assert self.postgres is not None and self.redis is not None
        self._stores_stopping.set()  # not started again by `watch_stores` from now on,
        with self._stores_lock:  # nor by a round already under way
            self.redis.stop()
            self.postgres.stop()

    def watch_stores(self, interval_s: float) -> threading.Thread:
        """`tend_stores` every `interval_s` in a thread of its own (a slow start of PostgreSQL
        must not hold up the supervisor's checks), until `stop_stores`."""
        def watch() -> None:
            while not self._stores_stopping.wait(interval_s):
                try:
                    self.tend_stores()
                except Exception:  # keep watching whatever happened
                    log.exception("Watching PostgreSQL and Redis failed")

        thread = threading.Thread(target=watch, name="stores", daemon=True)
        thread.start()
        return thread

    def tend_stores(self) -> None:
        """Start PostgreSQL or Redis again when its process is gone (killed, crashed). A hung
        one is left alone: /healthz reports it."""
        assert self.postgres is not None and self.redis is not None
        stores = (("PostgreSQL", self.postgres, self.postgres.running, self.postgres.log),
                  ("Redis", self.redis, self._redis_running, self.redis.log))
        for name, store, running, store_log in stores:
            with self._stores_lock:
                if self._stores_stopping.is_set() or running() or \
                        time.monotonic() < self._store_retry_at.get(name, 0.0):
                    continue
                log.warning("%s is not running: starting it again (see %s)", name, store_log)
                try:
                    store.start(timeout_s=STORE_START_TIMEOUT_S)
                except (LocalServiceError, OSError, subprocess.CalledProcessError) as err:
                    self._store_retry_at[name] = time.monotonic() + STORE_RETRY_S
                    log.error("%s did not start: %s; trying again in %.0f s", name, err,
                              STORE_RETRY_S)
                else:
                    log.warning("%s is running again", name)

    def _redis_running(self) -> bool:
        """Redis's process is alive (answering or not: a hung one is not started twice)."""
        assert self.redis is not None
        try:
            os.kill(int((self.redis.dir / "redis.pid").read_text(encoding="ascii")), 0)
        except (OSError, ValueError):
            return self.redis.ping()  # no pid file: one we did not start, if it answers
        return True


cli = typer.Typer(add_completion=False, help=__doc__)


@cli.command()
def run(
    rasa: int = typer.Option(2, min=1, help="Rasa servers (ports 5005, 5006, ...)."),
    actions: int = typer.Option(2, min=1, help="Action servers (ports 5055, 5056, ...)."),
    postgres_port: int = typer.Option(5433, help="The local PostgreSQL's port (127.0.0.1)."),
    redis_port: int = typer.Option(6380, help="The local Redis's port (127.0.0.1)."),
) -> None:
    """Serve the scaled stack until Ctrl-C, restarting what fails."""
    settings = get_settings()
    var = settings.var_dir
    stack = ScaledStack(
        Ports.default(), var,
        rasa_ports=tuple(settings.rasa_port + i for i in range(rasa)),
        action_ports=tuple(settings.action_port + i for i in range(actions)),
        postgres=Postgres(var, port=postgres_port), redis=Redis(var, port=redis_port))
    print(f"Starting PostgreSQL (127.0.0.1:{postgres_port}) and Redis "
          f"(127.0.0.1:{redis_port}), data under {var}…", flush=True)
    try:
        stack.start_stores()
    except (LocalServiceError, OSError, KeyboardInterrupt) as err:
        print(f"Not starting: {err or 'interrupted'}", flush=True)
        stack.stop_stores()
        raise typer.Exit(1) from err
    stack.watch_stores(settings.supervise_interval_s)
    serve(stack, settings,
          f"Starting {actions} action server(s), {rasa} Rasa server(s) and the gateway "
          "(Rasa takes ~20-60 s to load)…",
          f"\nVägvisaren (scaled) is running.\n  Open the chat:   {stack.gateway_url}/\n"
          f"  Rasa replicas:   {', '.join(stack.rasa_urls)}\n"
          f"  Action servers:  {', '.join(stack.action_urls)}\n"
          f"  Tracker store, event broker: PostgreSQL 127.0.0.1:{postgres_port}\n"
          f"  Lock store:      Redis 127.0.0.1:{redis_port}\n"
          f"  Health:          {stack.gateway_url}/healthz\n"
          f"  Logs:            {var}/*.log\nPress Ctrl-C to stop.",
          cleanup=stack.stop_stores)


@cli.command()
def stop_stores(
    postgres_port: int = typer.Option(5433, help="The local PostgreSQL's port."),
    redis_port: int = typer.Option(6380, help="The local Redis's port."),
) -> None:
    """Stop the local PostgreSQL and Redis that a killed `run` left running."""
    var = get_settings().var_dir
    Redis(var, port=redis_port).stop()
    Postgres(var, port=postgres_port).stop()


if __name__ == "__main__":
    cli()
