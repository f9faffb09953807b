"""`python -m bot.stack run` heals itself, on the real Rasa, action server and gateway.

One supervised stack for the module, run exactly as `make run` runs it, on free loopback
ports. Each test breaks one service the way it breaks in a school's server room (a killed
Sanic worker behind a live parent, a killed process, a hung one) and then talks on as the
pupil would, checking the conversation's slots survived.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.api.chat import UNAVAILABLE
from bot.service_state import STATE_FILE
from bot.settings import ROOT
from bot.stack import APP_PYTHON, MODEL, Ports

pytestmark = pytest.mark.e2e

# The bound for a restarted action server or gateway: detection (3 failed checks, 2 s
# apart, the default) plus a cold start. Rasa's cold start alone is its model load, 20-60 s
# on this 2-core machine (docs/benchmarks.md), so its bound is wider; a warm second replica
# is the scale-out issue's answer to that.
BACK_S = 30.0
RASA_BACK_S = 120.0


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    var_dir: Path
    ports: Ports

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    def state(self) -> dict[str, Any]:
        return json.loads((self.var_dir / STATE_FILE).read_text(encoding="utf-8"))

    def service(self, name: str) -> dict[str, Any]:
        return next(s for s in self.state()["services"] if s["name"] == name)

    def chat(self, session: str, message: str, language: str) -> dict[str, Any]:
        reply = httpx.post(f"{self.gateway}/api/chat", timeout=60, json={
            "session_id": session, "message": message, "language": language})
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    def slots(self, session: str) -> dict[str, Any]:
        token = (self.var_dir / "rasa-token").read_text().strip()
        url = f"http://127.0.0.1:{self.ports.rasa}/conversations/{session}/tracker"
        slots: dict[str, Any] = httpx.get(url, params={"token": token}, timeout=10).json()["slots"]
        return slots

    def wait_restarted(self, name: str, restarts: int, seconds: float, since: float) -> float:
        """Seconds from `since` until `name` has restarted `restarts` times, is up again and
        /healthz says a pupil can be answered."""
        while True:
            elapsed = time.monotonic() - since
            assert self.proc.poll() is None, "the supervisor itself stopped"
            assert elapsed < seconds, f"{name} not back after {seconds:.0f} s: {self.state()}"
            service = self.service(name)
            if service["restarts"] >= restarts and service["status"] == "up":
                try:
                    if httpx.get(f"{self.gateway}/healthz", timeout=3).status_code == 200:
                        return elapsed
                except httpx.HTTPError:
                    pass
            time.sleep(0.5)


def _suggests(reply: dict[str, Any]) -> bool:
    return not reply["degraded"] and any(
        (m.get("custom") or {}).get("type") == "suggestions" for m in reply["messages"])


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: `make test` trains it before pytest.")
    var_dir = tmp_path_factory.mktemp("supervised-var")
    ports = Ports.free()
    env = os.environ | {
        "VAGVISAREN_VAR_DIR": str(var_dir), "VAGVISAREN_GATEWAY_PORT": str(ports.gateway),
        "VAGVISAREN_RASA_PORT": str(ports.rasa), "VAGVISAREN_ACTION_PORT": str(ports.actions),
        "VAGVISAREN_RATE_LIMIT_PER_IP": "100000",  # supervision: the defaults
        "VAGVISAREN_RATE_LIMIT_PER_SESSION": "100000",
    }
    out = var_dir / "supervisor.out"
    with out.open("wb") as log:
        proc = subprocess.Popen([str(APP_PYTHON), "-m", "bot.stack", "run"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    served = Served(proc, var_dir, ports)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, f"`bot.stack run` exited: {out.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"not ready in 300 s: {out.read_text()[-3000:]}"
            try:
                if httpx.get(f"{served.gateway}/healthz", timeout=3).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        yield served
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        print(f"\n----- supervisor output (tail) -----\n{out.read_text()[-4000:]}")


def test_a_killed_action_worker_is_replaced_and_the_pupil_goes_on(served: Served) -> None:
    session = f"heal-{uuid.uuid4().hex[:10]}"
    assert not served.chat(session, "jag gillar att skruva på mopeder", "sv")["degraded"]
    assert served.slots(session)["interests"]
    parent = served.service("actions")["pid"]
    # The Sanic worker is the child that holds the app (hundreds of MB); the other is its
    # small shared-context manager.
    worker = max(_children(parent), key=_rss_kb)
    assert _rss_kb(worker) > 100_000
    os.kill(worker, signal.SIGKILL)
    killed = time.monotonic()
    assert not _gone(parent)  # the case: the parent lives on, serving nothing
    served.wait_restarted("actions", 1, BACK_S, killed)
    reply = served.chat(session, "jag bor i Umeå", "sv")
    assert _suggests(reply), reply
    assert time.monotonic() - killed < BACK_S
    actions = served.service("actions")
    assert actions["last_restart_reason"] == "health check failed 3 times in a row"
    assert actions["pid"] != parent and _gone(parent)
    slots = served.slots(session)
    assert slots["interests"] and slots["language"] == "sv"


def test_a_killed_rasa_is_restarted_and_the_pupil_goes_on(served: Served) -> None:
    session = f"heal-{uuid.uuid4().hex[:10]}"
    assert not served.chat(session, "mä tykkään koodata", "fi")["degraded"]
    assert served.slots(session)["interests"]
    rasa = served.service("rasa")["pid"]
    os.kill(rasa, signal.SIGKILL)
    killed = time.monotonic()
    # Meanwhile: one friendly reply in the pupil's language, and /healthz says what is down.
    meanwhile = served.chat(session, "asun Turussa", "fi")
    assert meanwhile["degraded"] and meanwhile["messages"][0]["text"] == UNAVAILABLE["fi"]
    down = httpx.get(f"{served.gateway}/healthz", timeout=10)
    assert down.status_code == 503 and "rasa does not answer" in down.json()["problems"]
    took = served.wait_restarted("rasa", 1, RASA_BACK_S, killed)
    print(f"rasa back after {took:.1f} s")
    reply = served.chat(session, "asun Turussa", "fi")
    assert _suggests(reply), reply
    assert served.service("rasa")["last_restart_reason"] == "process exited with signal SIGKILL"
    slots = served.slots(session)
    assert slots["interests"] and slots["language"] == "fi"


def test_a_killed_gateway_is_restarted(served: Served) -> None:
    gateway = served.service("gateway")["pid"]
    os.kill(gateway, signal.SIGKILL)
    killed = time.monotonic()
    served.wait_restarted("gateway", 1, BACK_S, killed)
    service = served.service("gateway")
    assert service["pid"] != gateway
    assert service["last_restart_reason"] == "process exited with signal SIGKILL"
    assert httpx.get(f"{served.gateway}/livez", timeout=5).json() == {"status": "alive"}


def test_a_hung_action_server_is_caught_by_its_health_check(served: Served) -> None:
    session = f"heal-{uuid.uuid4().hex[:10]}"
    assert not served.chat(session, "jeg kan godt lide at svejse", "da")["degraded"]
    hung = served.service("actions")["pid"]
    os.killpg(hung, signal.SIGSTOP)  # alive to the kernel, answering nothing
    stopped = time.monotonic()
    served.wait_restarted("actions", 2, BACK_S, stopped)
    actions = served.service("actions")
    assert actions["last_restart_reason"] == "health check failed 3 times in a row"
    assert _gone(hung)  # the stopped group was killed, not left hanging
    reply = served.chat(session, "jeg bor i Odense", "da")
    assert _suggests(reply), reply
    assert served.slots(session)["interests"]


def test_healthz_shows_each_restart(served: Served) -> None:
    reply = httpx.get(f"{served.gateway}/healthz", timeout=10)
    assert reply.status_code == 200
    health = reply.json()
    assert health["status"] == "ok" and health["problems"] == []
    supervision = health["supervisor"]
    assert supervision["running"] is True
    services = {s["name"]: s for s in supervision["services"]}
    assert {n: s["restarts"] for n, s in services.items()} == {
        "actions": 2, "rasa": 1, "gateway": 1}
    assert all(s["status"] == "up" and s["up_seconds"] >= 0 for s in services.values())
    assert services["rasa"]["last_restart_at"] < services["actions"]["last_restart_at"]


def test_stopping_the_supervisor_stops_every_service(served: Served) -> None:
    pids = [s["pid"] for s in served.state()["services"]]
    os.killpg(served.proc.pid, signal.SIGTERM)
    assert served.proc.wait(timeout=60) == 0
    assert all(_gone(pid) for pid in pids)
    assert not (served.var_dir / STATE_FILE).exists()
