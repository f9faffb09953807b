"""The Kubernetes manifest and Helm values probe the same URLs the supervisor uses, on the
ports and with the settings the code knows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from bot.api.app import app
from bot.settings import ROOT, Settings, get_settings
from bot.stack import free_port

DEPLOY = ROOT / "deploy"
STANDIN = Path(__file__).with_name("standin.py")


def _load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _gateway_container() -> dict[str, Any]:
    deployment = next(d for d in _load(DEPLOY / "kubernetes" / "gateway.yaml")
                      if d["kind"] == "Deployment")
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return containers[0]


def test_gateway_probes_are_its_liveness_and_readiness_routes(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    container = _gateway_container()
    # Rasa and the action server on closed ports: the gateway is alive, and not ready.
    monkeypatch.setenv("VAGVISAREN_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("VAGVISAREN_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("VAGVISAREN_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    client = TestClient(app)
    try:
        assert client.get(container["livenessProbe"]["httpGet"]["path"]).status_code == 200
        assert client.get(container["readinessProbe"]["httpGet"]["path"]).status_code == 503
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert container["ports"][0]["containerPort"] == Settings().gateway_port
    assert str(Settings().gateway_port) in container["command"]
    # Its VAGVISAREN_ variables, like every one in deploy/: tests/deploy/test_deploy_consistency.py


def test_rasa_values_match_the_pinned_rasa_and_its_port() -> None:
    values = _load(DEPLOY / "helm" / "rasa-values.yaml")[0]
    pinned = re.search(r"^rasa==(\S+)$", (ROOT / "requirements" / "rasa.txt").read_text(),
                       re.MULTILINE)
    assert pinned and values["image"]["tag"] == pinned[1]
    assert values["applicationSettings"]["port"] == Settings().rasa_port
    for probe in ("livenessProbe", "readinessProbe"):
        assert values[probe]["httpGet"]["path"] == "/"  # what `bot.stack probe rasa` asks
    # The chart renders action_endpoint only for an installed or an external action server.
    action_server = values["rasa-action-server"]
    assert action_server["install"] is False and action_server["external"]["enabled"] is True
    assert action_server["external"]["url"].endswith(f":{Settings().action_port}/webhook")


def test_action_server_readiness_runs_the_supervisors_probe() -> None:
    values = _load(DEPLOY / "helm" / "action-server-values.yaml")[0]
    assert values["applicationSettings"]["port"] == Settings().action_port
    assert values["service"]["port"] == Settings().action_port  # the chart's default is 80
    assert values["livenessProbe"]["httpGet"]["path"] == "/health"
    # Helm merges values into the chart's defaults; null drops its httpGet (one handler only).
    assert "httpGet" in values["readinessProbe"] and values["readinessProbe"]["httpGet"] is None
    command = values["readinessProbe"]["exec"]["command"]
    assert command[:5] == ["python", "-m", "bot.stack", "probe", "actions"]
    assert command[-1].endswith(f":{Settings().action_port}")


def test_the_probe_command_tells_ready_from_not_ready() -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, str(STANDIN), "serve", str(port)])
    try:
        def probe(name: str, url: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "bot.stack", "probe", name, "--url",
                                   url], cwd=ROOT, capture_output=True, text=True, timeout=60)

        for _ in range(50):
            ready = probe("actions", f"http://127.0.0.1:{port}")
            if ready.returncode == 0:
                break
        assert ready.returncode == 0 and ready.stdout.strip() == "actions: ready"
        dead = probe("gateway", f"http://127.0.0.1:{free_port()}")
        assert dead.returncode == 1 and dead.stdout.strip() == "gateway: not ready"
    finally:
        server.kill()
        server.wait()
