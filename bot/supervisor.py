"""Keeps the three services serving unattended: health checks, lone restarts with backoff.

A school's server runs for months with nobody at the keyboard: a Sanic worker dead behind a
live parent, or a hung process, must neither silently turn every answer into "Jag kan inte
svara just nu" nor take the whole stack down. A service that exits, fails `failures` checks
in a row or is not ready within its start timeout is restarted alone (its process group)
after an exponential backoff; one that keeps failing is reported loudly and retried at the
slowest backoff, for ever. Each round writes `var_dir/supervisor.json` (read by /healthz)
and, under systemd (`Type=notify`), pets the unit's watchdog.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
import sdnotify

from bot.service_state import STATE_FILE, ready_probe_request, ready_probe_says_ready
from bot.settings import Settings


class Services(Protocol):
    """What the supervisor needs of bot.stack.Stack (which runs it, so cannot be imported)."""

    var_dir: Path
    procs: dict[str, subprocess.Popen[bytes]]
    names: tuple[str, ...]  # the services, in start order: "actions", "rasa-2"...

    def base_url(self, name: str) -> str: ...
    def health_urls(self) -> dict[str, str]: ...
    def start(self, names: Iterable[str] | None = ..., prebuild: bool = ...) -> None: ...
    def stop(self, names: Iterable[str] | None = ..., timeout: float = ...) -> None: ...
    def log(self, name: str) -> Path: ...


log = logging.getLogger("vagvisaren.supervisor")


def kind(name: str) -> str:
    """A service's kind: "rasa" for "rasa" and for its replicas "rasa-1", "rasa-2"..."""
    return name.split("-", 1)[0]


@dataclass(frozen=True)
class Policy:
    """How closely to watch and how patiently to restart (VAGVISAREN_SUPERVISE_* settings)."""

    # The defaults are the settings' defaults: one number per fact.
    interval_s: float = Settings.model_fields["supervise_interval_s"].default
    failures: int = Settings.model_fields["supervise_failures"].default
    check_timeout_s: float = Settings.model_fields["supervise_check_timeout_s"].default
    start_timeout_s: float = Settings.model_fields["supervise_start_timeout_s"].default
    backoff_first_s: float = Settings.model_fields["supervise_backoff_first_s"].default
    backoff_max_s: float = Settings.model_fields["supervise_backoff_max_s"].default
    flapping_restarts: int = Settings.model_fields["supervise_flapping_restarts"].default
    flapping_window_s: float = Settings.model_fields["supervise_flapping_window_s"].default

    @classmethod
    def from_settings(cls, s: Settings) -> Policy:
        """Each field from the setting of the same name with `supervise_` in front."""
        return cls(**{f.name: getattr(s, f"supervise_{f.name}") for f in fields(cls)})


@dataclass
class Service:
    """What the supervisor knows of one service between checks."""

    name: str
    status: str = "stopped"  # starting | up | backoff | stopped
    pid: int | None = None
    started_at: float | None = None  # time.time() of the last start
    started_mono: float = 0.0
    up_since: float | None = None  # time.time() when it last became healthy
    failures: int = 0
    restarts: int = 0
    recent: deque[float] = field(default_factory=deque)  # monotonic times of recent restarts
    last_reason: str | None = None
    last_restart_at: float | None = None
    backoff_s: float = 0.0
    next_start_mono: float = 0.0
    flapping: bool = False

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name, "status": self.status, "pid": self.pid,
            "started_at": _iso(self.started_at), "up_since": _iso(self.up_since),
            "restarts": self.restarts, "last_restart_reason": self.last_reason,
            "last_restart_at": _iso(self.last_restart_at), "flapping": self.flapping,
        }


def _iso(stamp: float | None) -> str | None:
    return None if stamp is None else datetime.fromtimestamp(stamp, UTC).isoformat()


def liveness_urls(stack: Services) -> dict[str, str]:
    """The gateway's /livez, not /healthz: a gateway reporting Rasa down is itself alive.
    (The action server is asked its readiness probe instead: see `Supervisor._alive`.)"""
    urls = stack.health_urls()
    for name in stack.names:
        if kind(name) == "gateway":
            urls[name] = f"{stack.base_url(name)}/livez"
    return urls


class Supervisor:
    """Runs `tick()` in a loop; `tick()` is one round of checks and due (re)starts."""

    def __init__(self, stack: Services, policy: Policy | None = None) -> None:
        self.stack = stack
        self.policy = policy or Policy()
        self.services = {name: Service(name) for name in stack.names}
        self.urls = liveness_urls(stack)
        self.state_path = stack.var_dir / STATE_FILE
        self._pool = ThreadPoolExecutor(max_workers=len(stack.names), thread_name_prefix="health")
        self._notifier = sdnotify.SystemdNotifier()
        self._ready_notified = False

    # --- one round -----------------------------------------------------------------------
    def start_all(self) -> None:
        """First start, in the stack's order; then `wait_first_start`."""
        self.stack.start(self.stack.names)
        now = time.time()
        for service in self.services.values():
            self._mark_started(service, now)
        self.write_state()

    def wait_first_start(self, timeout_s: float) -> None:
        """Check until every service is up; unlike later, a service that exits during the very
        first start stops the start-up (a port in use or a bad setting will not heal)."""
        deadline = time.monotonic() + timeout_s
        while not all(s.status == "up" for s in self.services.values()):
            for name, proc in self.stack.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {_exit_text(proc.returncode)}; "
                                       f"see {self.stack.log(name)}")
            if time.monotonic() > deadline:
                waiting = [s.name for s in self.services.values() if s.status != "up"]
                raise TimeoutError(f"{', '.join(waiting)} not ready after {timeout_s:.0f} s; "
                                   f"see {self.stack.var_dir}/*.log")
            self.tick()
            time.sleep(min(self.policy.interval_s, 1.0))

    def tick(self) -> None:
        """Check every service once and act on what is found."""
        checks = {name: self._pool.submit(self._alive, name) for name in self.stack.names
                  if self.services[name].status in ("starting", "up")}
        for name, service in self.services.items():
            proc = self.stack.procs.get(name)
            if service.status == "backoff":
                if time.monotonic() >= service.next_start_mono:
                    self._start(service)
                continue
            if proc is not None and proc.poll() is not None:
                self._restart(service, f"process exited with {_exit_text(proc.returncode)}")
                continue
            alive = checks[name].result() if name in checks else False
            self._judge(service, alive)
        self.write_state()
        self._notify()

    def _judge(self, service: Service, alive: bool) -> None:
        now_mono = time.monotonic()
        if service.status == "starting":
            if alive:
                service.status, service.up_since, service.failures = "up", time.time(), 0
                log.info("%s is up (pid %s)", service.name, service.pid)
            elif now_mono - service.started_mono > self.policy.start_timeout_s:
                self._restart(service, f"not ready {self.policy.start_timeout_s:.0f} s after start")
            return
        if alive:
            service.failures = 0
            return
        service.failures += 1
        log.warning("%s failed its health check (%d of %d)", service.name, service.failures,
                    self.policy.failures)
        if service.failures >= self.policy.failures:
            self._restart(service, f"health check failed {service.failures} times in a row")

    def _alive(self, name: str) -> bool:
        if kind(name) == "actions":  # ready means the matcher is loaded, not only /health
            return service_ready("actions", self.stack.base_url(name),
                                 self.policy.check_timeout_s)
        try:
            return httpx.get(self.urls[name], timeout=self.policy.check_timeout_s).status_code \
                == 200
        except httpx.HTTPError:
            return False

    # --- restarts ------------------------------------------------------------------------
    def _restart(self, service: Service, reason: str) -> None:
        """Stop the service's process group now; start it again after the backoff."""
        self.stack.stop([service.name], timeout=5.0)
        now_mono = time.monotonic()
        was_up_long = (service.up_since is not None
                       and time.time() - service.up_since > self.policy.flapping_window_s)
        if service.backoff_s == 0.0 or was_up_long:
            service.backoff_s = self.policy.backoff_first_s
        else:
            service.backoff_s = min(service.backoff_s * 2, self.policy.backoff_max_s)
        service.recent.append(now_mono)
        while service.recent and now_mono - service.recent[0] > self.policy.flapping_window_s:
            service.recent.popleft()
        service.flapping = len(service.recent) >= self.policy.flapping_restarts
        if service.flapping:
            service.backoff_s = self.policy.backoff_max_s
        service.restarts += 1
        service.last_reason, service.last_restart_at = reason, time.time()
        service.status, service.pid, service.up_since, service.failures = "backoff", None, None, 0
        service.next_start_mono = now_mono + service.backoff_s
        if service.flapping:
            log.error(
                "%s KEEPS FAILING: %d restarts in %.0f minutes (now: %s). Still retrying every "
                "%.0f s; see %s", service.name, len(service.recent),
                self.policy.flapping_window_s / 60, reason, service.backoff_s,
                self.stack.log(service.name))
        else:
            log.warning("Restarting %s in %.0f s: %s (restart %d; see %s)", service.name,
                        service.backoff_s, reason, service.restarts, self.stack.log(service.name))

    def _start(self, service: Service) -> None:
        try:
            self.stack.start([service.name], prebuild=False)  # ~3 s saved; it was built
        except OSError as err:  # e.g. the interpreter vanished: try again after a backoff
            return self._restart(service, f"could not start: {err}")
        self._mark_started(service, time.time())
        log.info("Started %s again (pid %s)", service.name, service.pid)

    def _mark_started(self, service: Service, now: float) -> None:
        proc = self.stack.procs[service.name]
        service.status, service.pid = "starting", proc.pid
        service.started_at, service.started_mono = now, time.monotonic()

    # --- reporting -----------------------------------------------------------------------
    def write_state(self) -> None:
        """Atomically replace var_dir/supervisor.json (read by the gateway's /healthz)."""
        state = {
            "pid": os.getpid(), "checked_at": _iso(time.time()),
            "interval_s": self.policy.interval_s,
            "services": [service.snapshot() for service in self.services.values()],
        }
        partial = self.state_path.with_suffix(".json.partial")
        partial.write_text(json.dumps(state, indent=1), encoding="utf-8")
        partial.replace(self.state_path)

    def _notify(self) -> None:
        """Tell systemd we are ready (once everything is up) and that the loop still turns."""
        if "NOTIFY_SOCKET" not in os.environ:
            return
        if not self._ready_notified and all(s.status == "up" for s in self.services.values()):
            self._notifier.notify("READY=1")
            self._ready_notified = True
        self._notifier.notify("WATCHDOG=1")

    def run_forever(self) -> None:
        while True:  # until SIGTERM or Ctrl-C (bot.stack's handler calls close())
            started = time.monotonic()
            self.tick()
            time.sleep(max(0.0, self.policy.interval_s - (time.monotonic() - started)))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.stack.stop()
        self.state_path.unlink(missing_ok=True)


def service_ready(name: str, base_url: str, timeout_s: float) -> bool:
    """One service's readiness without its token: the action server's probe action, the
    gateway's /livez, Rasa's root (served only once its model is loaded)."""
    try:
        if name == "actions":
            reply = httpx.post(f"{base_url}/webhook", json=ready_probe_request(),
                               timeout=timeout_s)
            return reply.status_code == 200 and ready_probe_says_ready(reply.json())
        path = {"gateway": "/livez", "rasa": "/"}[name]
        return httpx.get(f"{base_url}{path}", timeout=timeout_s).status_code == 200
    except (httpx.HTTPError, ValueError):
        return False


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"code {code}"

