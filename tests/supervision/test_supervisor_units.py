"""The supervisor's rules on stand-in services (real processes, real ports, seconds to run):
restarts alone, backoff that grows, a loud report when a service keeps failing, hangs caught
by the health check, starts that never get ready, and what /healthz makes of its report."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.api.health import supervision_problems, supervision_report
from bot.service_state import STATE_FILE, read_state
from bot.stack import Ports, Stack
from bot.supervisor import Policy, Supervisor

STANDIN = Path(__file__).with_name("standin.py")
FAST = Policy(interval_s=0.2, failures=2, check_timeout_s=0.5, start_timeout_s=10.0,
              backoff_first_s=0.2, backoff_max_s=1.6, flapping_restarts=5,
              flapping_window_s=60.0)


@dataclass
class StandIns(Stack):
    """The stack's process handling, with stand-ins instead of Rasa, actions and gateway."""

    modes: dict[str, str] = field(default_factory=dict)
    prebuild_matching: bool = False

    def commands(self) -> dict[str, list[str]]:
        ports = {"actions": self.ports.actions, "rasa": self.ports.rasa,
                 "gateway": self.ports.gateway}
        return {name: [sys.executable, str(STANDIN), self.modes.get(name, "serve"), str(port)]
                for name, port in ports.items()}


@pytest.fixture
def supervise(tmp_path: Path) -> Iterator[Callable[..., Supervisor]]:
    made: list[Supervisor] = []

    def _make(policy: Policy = FAST, **modes: str) -> Supervisor:
        supervisor = Supervisor(StandIns(Ports.free(), tmp_path, modes=modes), policy)
        supervisor.start_all()
        made.append(supervisor)
        return supervisor

    yield _make
    for supervisor in made:
        supervisor.close()


def tick_until(supervisor: Supervisor, done: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"not reached in {seconds} s: {_states(supervisor)}"
        supervisor.tick()
        time.sleep(supervisor.policy.interval_s)


def _states(supervisor: Supervisor) -> dict[str, object]:
    return {name: s.snapshot() for name, s in supervisor.services.items()}


def _all_up(supervisor: Supervisor) -> bool:
    return all(s.status == "up" for s in supervisor.services.values())


def test_a_crashing_service_is_restarted_alone_with_growing_backoff(
        supervise: Callable[..., Supervisor], caplog: pytest.LogCaptureFixture) -> None:
    supervisor = supervise(actions="crash")
    first_pids = {name: s.pid for name, s in supervisor.services.items()}
    actions = supervisor.services["actions"]
    backoffs: list[float] = []

    def six_restarts() -> bool:
        if actions.status == "backoff" and (not backoffs or actions.restarts > len(backoffs)):
            backoffs.append(actions.backoff_s)
        return actions.restarts >= 6

    with caplog.at_level(logging.WARNING, logger="vagvisaren.supervisor"):
        tick_until(supervisor, six_restarts, 30)
    assert backoffs[:4] == [0.2, 0.4, 0.8, 1.6]  # doubles up to the maximum
    assert backoffs[4:] == [1.6, 1.6]  # and stays there, still trying
    assert actions.flapping and actions.last_reason == "process exited with code 3"
    assert any("actions KEEPS FAILING: 5 restarts" in r.getMessage() for r in caplog.records)
    for name in ("rasa", "gateway"):  # the others kept serving, untouched
        assert supervisor.services[name].status == "up"
        assert supervisor.services[name].restarts == 0
        assert supervisor.services[name].pid == first_pids[name]
        assert supervisor.stack.procs[name].poll() is None

    report = supervision_report(supervisor.stack.var_dir)
    assert report is not None and report.running
    by_name = {s.name: s for s in report.services}
    assert by_name["actions"].restarts == 6 and by_name["actions"].flapping
    assert by_name["rasa"].up_seconds is not None and by_name["rasa"].restarts == 0
    problems = supervision_problems(report)
    assert any(p.startswith("actions keeps failing (6 restarts; last: process exited with code 3")
               for p in problems)
    assert not any(p.startswith(("rasa", "gateway")) for p in problems)


def test_a_hung_service_is_caught_by_its_health_check(
        supervise: Callable[..., Supervisor]) -> None:
    supervisor = supervise()
    tick_until(supervisor, lambda: _all_up(supervisor), 15)
    gateway = supervisor.services["gateway"]
    hung = gateway.pid
    assert hung is not None
    os.killpg(hung, signal.SIGSTOP)
    tick_until(supervisor, lambda: gateway.restarts == 1 and gateway.status == "up", 20)
    assert gateway.last_reason == "health check failed 2 times in a row"
    assert gateway.pid != hung
    with pytest.raises(ProcessLookupError):  # the hung process group is gone, not left behind
        os.killpg(hung, 0)
    assert supervisor.services["rasa"].restarts == supervisor.services["actions"].restarts == 0


def test_a_start_that_never_gets_ready_is_retried(supervise: Callable[..., Supervisor]) -> None:
    policy = Policy(interval_s=0.2, failures=2, check_timeout_s=0.5, start_timeout_s=1.0,
                    backoff_first_s=0.2, backoff_max_s=1.0)
    supervisor = supervise(policy, rasa="silent")
    rasa = supervisor.services["rasa"]
    tick_until(supervisor, lambda: rasa.restarts >= 2, 15)
    assert rasa.last_reason == "not ready 1 s after start"
    assert supervisor.services["actions"].status == "up"


def test_a_stale_report_and_a_stopped_supervisor(supervise: Callable[..., Supervisor]) -> None:
    supervisor = supervise()
    tick_until(supervisor, lambda: _all_up(supervisor), 15)
    var_dir = supervisor.stack.var_dir
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    report = supervision_report(var_dir, now=later)
    assert report is not None and not report.running
    assert supervision_problems(report)[0].startswith("the supervisor has stopped checking")
    supervisor.close()
    assert read_state(var_dir) is None and not (var_dir / STATE_FILE).exists()
    assert supervision_report(var_dir) is None
