"""The scaled stack's wiring, without Rasa: each replica on its own port with its own action
server, Rasa on PostgreSQL and Redis through endpoints.yml's variables, the supervisor
watching and restarting each replica alone (stand-in processes on real ports), and a killed
PostgreSQL or Redis started again."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.api.health import supervision_report
from bot.local_services import ENDPOINT_DEFAULTS, Postgres, Redis
from bot.scaled import ScaledStack
from bot.settings import ROOT
from bot.stack import Ports, Stack
from bot.supervisor import Policy, Supervisor

STANDIN = ROOT / "tests" / "supervision" / "standin.py"
FAST = Policy(interval_s=0.2, failures=2, check_timeout_s=0.5, start_timeout_s=10.0,
              backoff_first_s=0.2, backoff_max_s=1.6, flapping_restarts=5,
              flapping_window_s=60.0)


def test_each_replica_has_its_port_and_rasa_its_action_server(tmp_path: Path) -> None:
    stack = ScaledStack.on_free_ports(tmp_path, rasa=3, actions=2)
    assert stack.names == ("actions-1", "actions-2", "rasa-1", "rasa-2", "rasa-3", "gateway")
    commands = stack.commands()
    ports = {name: int(command[command.index("--port") + 1])
             for name, command in commands.items()}
    assert len(set(ports.values())) == 6
    assert [ports[f"rasa-{i}"] for i in (1, 2, 3)] == list(stack.rasa_ports)
    actions = {f"rasa-{i}": stack.env(f"rasa-{i}")["VAGVISAREN_ACTION_URL"] for i in (1, 2, 3)}
    assert actions == {"rasa-1": f"{stack.base_url('actions-1')}/webhook",
                       "rasa-2": f"{stack.base_url('actions-2')}/webhook",
                       "rasa-3": f"{stack.base_url('actions-1')}/webhook"}
    gateway = stack.env("gateway")
    assert gateway["VAGVISAREN_RASA_URLS"].split(",") == stack.rasa_urls
    assert gateway["VAGVISAREN_TRACKER_URL"].startswith("postgresql+psycopg2://vagvisaren:")
    # /healthz asks every action server, and the Redis of Rasa's lock store.
    assert stack.redis is not None
    assert gateway["VAGVISAREN_ACTION_SERVER_URLS"].split(",") == \
        [stack.base_url("actions-1"), stack.base_url("actions-2")]
    assert (gateway["VAGVISAREN_LOCK_STORE"], gateway["VAGVISAREN_REDIS_PORT"]) == \
        ("redis", str(stack.redis.port))
    assert "VAGVISAREN_RASA_TOKEN" not in stack.env("actions-2")  # actions never get it


def test_rasa_replicas_get_postgresql_and_redis_from_endpoints_yml(tmp_path: Path) -> None:
    env = ScaledStack.on_free_ports(tmp_path).env("rasa-1")
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    variables = {name for section in endpoints.values() for value in section.values()
                 if isinstance(value, str) and value.startswith("${")
                 for name in [value[2:-1]]}
    assert variables - set(env) == set(), "Rasa would refuse to start: variable missing"
    assert (env["VAGVISAREN_TRACKER_DIALECT"], env["VAGVISAREN_LOCK_STORE"]) == \
        ("postgresql", "redis")
    assert endpoints["tracker_store"]["url"] == "${VAGVISAREN_TRACKER_HOST}"  # Rasa's "host"


def test_the_single_stack_defaults_to_sqlite_and_in_memory_locks(tmp_path: Path,
                                                                   monkeypatch) -> None:
    for name in ENDPOINT_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    env = Stack(Ports.free(), tmp_path).env("rasa")
    assert {name: env[name] for name in ENDPOINT_DEFAULTS} == ENDPOINT_DEFAULTS
    assert env["VAGVISAREN_TRACKER_DB"] == str(tmp_path / "tracker.db")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for name, value in ENDPOINT_DEFAULTS.items():  # `rasa data validate` gets the same
        assert f"export {name} ?={' ' + value if value else ''}\n" in makefile, name


@dataclass
class ScaledStandIns(ScaledStack):
    """The scaled stack's process handling, with stand-ins for every replica."""

    prebuild_matching: bool = False

    def commands(self) -> dict[str, list[str]]:
        return {name: [sys.executable, str(STANDIN), "serve", str(self._port(name))]
                for name in self.names}


def test_the_supervisor_restarts_one_replica_alone(tmp_path: Path) -> None:
    stack = ScaledStandIns.on_free_ports(tmp_path, rasa=2, actions=2)
    stack.model = STANDIN  # stand-ins load no model; the check only wants a file
    supervisor = Supervisor(stack, FAST)
    supervisor.start_all()
    try:
        deadline = time.monotonic() + 20
        while not all(s.status == "up" for s in supervisor.services.values()):
            assert time.monotonic() < deadline, supervisor.services
            supervisor.tick()
            time.sleep(0.2)
        pids = {name: s.pid for name, s in supervisor.services.items()}
        os.killpg(stack.procs["rasa-2"].pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while supervisor.services["rasa-2"].restarts == 0 or \
                supervisor.services["rasa-2"].status != "up":
            assert time.monotonic() < deadline, supervisor.services["rasa-2"]
            supervisor.tick()
            time.sleep(0.2)
        after = {name: s.pid for name, s in supervisor.services.items()}
        assert after["rasa-2"] != pids["rasa-2"]
        assert {n: p for n, p in after.items() if n != "rasa-2"} == \
            {n: p for n, p in pids.items() if n != "rasa-2"}
        report = supervision_report(tmp_path)
        assert report is not None
        assert [s.name for s in report.services] == list(stack.names)
        assert next(s for s in report.services if s.name == "rasa-2").restarts == 1
    finally:
        supervisor.close()


@pytest.mark.skipif((not Postgres.installed() or not Redis.installed())
                    and os.environ.get("CI") != "true",
                    reason="postgresql or redis-server not installed (`make stores`)")
def test_a_store_whose_process_died_is_started_again() -> None:
    """`make run-scaled` watches PostgreSQL and Redis beside the supervisor: killed, each is
    started again within a few rounds; a hung one (SIGSTOP) is left alone (/healthz tells)."""
    # Not under pytest's tmp_path (0700): PostgreSQL runs as `postgres` when we are root.
    var_dir = Path(tempfile.mkdtemp(prefix="vagvisaren-stores-"))
    var_dir.chmod(0o755)
    stack = ScaledStack.on_free_ports(var_dir, rasa=1, actions=1)
    assert stack.postgres is not None and stack.redis is not None
    try:
        stack.start_stores()
        watcher = stack.watch_stores(interval_s=0.2)
        os.kill(int((stack.postgres.data_dir / "postmaster.pid").read_text().split()[0]),
                signal.SIGKILL)
        os.kill(int((stack.redis.dir / "redis.pid").read_text()), signal.SIGKILL)
        killed = time.monotonic()
        while not (stack.postgres.running() and stack.redis.ping()):
            assert time.monotonic() - killed < 30, "not started again"
            time.sleep(0.2)
        print(f"PostgreSQL and Redis killed: running again after {time.monotonic() - killed:.1f} s")
        hung = int((stack.redis.dir / "redis.pid").read_text())
        os.kill(hung, signal.SIGSTOP)
        try:
            time.sleep(1.0)  # five rounds
            assert int((stack.redis.dir / "redis.pid").read_text()) == hung
        finally:
            os.kill(hung, signal.SIGCONT)
    finally:
        stack.stop_stores()
        shutil.rmtree(var_dir, ignore_errors=True)
    watcher.join(timeout=2)
    assert not watcher.is_alive()  # stop_stores ends the watch: nothing starts them again
