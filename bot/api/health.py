"""The supervisor's report (var_dir/supervisor.json) turned into /healthz's models and words."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import ValidationError

from bot.api.models import ServiceHealth, Supervision
from bot.service_state import is_stale, read_state


def supervision_report(var_dir: Path, now: dt.datetime | None = None) -> Supervision | None:
    """The services' state, or None when no supervisor has written a report here."""
    state = read_state(var_dir)
    if state is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    services = []
    for raw in state.get("services") or []:
        try:
            service = ServiceHealth.model_validate(raw)
        except ValidationError:
            continue
        up_since = raw.get("up_since")
        if up_since and service.status == "up":
            service.up_seconds = round(
                (now - dt.datetime.fromisoformat(up_since)).total_seconds(), 1)
        services.append(service)
    checked = state.get("checked_at")
    return Supervision(running=not is_stale(state, now.timestamp()),
                       checked_at=dt.datetime.fromisoformat(checked) if checked else None,
                       services=services)


def supervision_problems(supervision: Supervision | None) -> list[str]:
    """Plain sentences for an operator: a stale supervisor, services that keep failing."""
    if supervision is None:
        return []
    problems = []
    if not supervision.running:
        problems.append("the supervisor has stopped checking the services: nothing will be "
                        "restarted; see the service log (journalctl -u vagvisaren)")
    for service in supervision.services:
        if service.flapping:
            problems.append(f"{service.name} keeps failing ({service.restarts} restarts; last: "
                            f"{service.last_restart_reason}); see var/{service.name}.log")
        elif service.status != "up":
            problems.append(f"{service.name} is {service.status}")
    return problems
