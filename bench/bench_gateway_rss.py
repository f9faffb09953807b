"""Benchmark: the gateway's resident memory after the counsellor view loaded its summaries,
and whether torch is in the process -> docs/benchmarks.md.

    .venv/bin/python bench/bench_gateway_rss.py [--root DIR] [--no-write]

Starts the gateway (uvicorn bot.api.app:app) of the code under --root (default: this
checkout) on a free loopback port, with a private var/ dir holding a registered school, a
counsellor and N synthetic conversations in Rasa's tracker store and SQL event broker; logs
in and reads the conversation list, the stats and the CSV export (each folds the broker's
events into summaries, which match the pupils' interests); then reads VmRSS/VmHWM from /proc
and looks for torch in the process's memory map. `--root` on an older checkout gives the
figure before a change.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import httpx
import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "counsellor"))  # the synthetic Rasa events

from counsellor_events import Tracker, conversation  # noqa: E402

from docs_section import write_section  # noqa: E402  (bench/, beside this script)

DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-gateway-rss:start -->", "<!-- bench-gateway-rss:end -->"
SCHOOL, USER, PASSWORD = "rss-skolan", "rss", "correct horse battery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def _torch_mapped(pid: int) -> bool:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "/torch/" in maps or "libtorch" in maps


def measure(root: Path, conversations: int, python: Path) -> dict[str, object]:
    var = Path(tempfile.mkdtemp(prefix="gateway-rss-"))
    for cached in ("match-model", "match-cache"):  # as the action server leaves them in var/
        if (ROOT / "var" / cached).exists():
            shutil.copytree(ROOT / "var" / cached, var / cached)
    env = {**os.environ, "VAGVISAREN_VAR_DIR": str(var),
           "VAGVISAREN_TRACKER_DB": str(var / "tracker.db"),
           "VAGVISAREN_BROKER_DB": str(var / "events.db"), "HF_HUB_OFFLINE": "1",
           "VAGVISAREN_PURGE_INTERVAL_HOURS": "0", "PYTHONPATH": str(root)}
    tracker = Tracker(var / "tracker.db")
    start = time.time() - 3600
    for i in range(conversations):
        conversation(tracker, f"rss-{i}", start + i * 60, school=SCHOOL,
                     language=("sv", "fi", "da")[i % 3])
    tracker.flush()
    admin = [str(python), "-m", "bot.admin"]
    subprocess.run([*admin, "add-school", SCHOOL, "RSS-skolan"], cwd=root, env=env, check=True,
                   capture_output=True)
    subprocess.run([*admin, "add-counsellor", "--username", USER, "--school", SCHOOL,
                    "--password-stdin"], input=PASSWORD + "\n", text=True, cwd=root, env=env,
                   check=True, capture_output=True)
    port = _free_port()
    log = (var / "gateway.log").open("w")
    gateway = subprocess.Popen([str(python), "-m", "uvicorn", "bot.api.app:app", "--host",
                                "127.0.0.1", "--port", str(port)], cwd=root, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=300) as client:
            for _ in range(600):
                try:
                    if client.get("/counsellor").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            idle = _status(gateway.pid)
            client.post("/api/counsellor/login",
                        json={"username": USER, "password": PASSWORD}).raise_for_status()
            began = time.monotonic()
            listed = client.get("/api/counsellor/conversations").raise_for_status().json()
            first_read_s = time.monotonic() - began
            client.get("/api/counsellor/stats").raise_for_status()
            client.get("/api/counsellor/export.csv").raise_for_status()
            loaded = _status(gateway.pid)
            torch = _torch_mapped(gateway.pid)
        fields = sorted({f for item in listed["items"] for f in item["fields"]})
        return {"root": str(root), "conversations": listed["total"], "fields": fields,
                "idle_rss_mb": round(idle["VmRSS"] / 1024), "rss_mb": round(
                    loaded["VmRSS"] / 1024), "peak_mb": round(loaded["VmHWM"] / 1024),
                "torch": torch, "first_read_s": round(first_read_s, 1)}
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
        log.close()
        shutil.rmtree(var, ignore_errors=True)


def main(
    root: Annotated[Path, typer.Option(help="Checkout whose gateway to measure.")] = ROOT,
    conversations: Annotated[int, typer.Option(help="Synthetic conversations.")] = 60,
    write: Annotated[bool, typer.Option(help="Write the section of docs/benchmarks.md.")] = True,
) -> None:
    python = ROOT / ".venv" / "bin" / "python"
    result = measure(root.resolve(), conversations, python)
    print(json.dumps(result))
    if not write:
        return
    section = "\n".join([
        START,
        "## Gateway memory (counsellor view)",
        "",
        f"Measured {date.today().isoformat()} on {platform.node()} (a {os.cpu_count()}-core "
        "VM, shared with another developer's test run). "
        "Command: `.venv/bin/python bench/bench_gateway_rss.py` (the gateway alone, after "
        f"logging in and reading the list, the stats and the CSV export of "
        f"{result['conversations']} synthetic conversations).",
        "",
        "| resident after startup | resident after the summaries | peak | torch in the process "
        "| first list read |",
        "|---|---|---|---|---|",
        f"| {result['idle_rss_mb']} MB | {result['rss_mb']} MB | {result['peak_mb']} MB | "
        f"{'yes' if result['torch'] else 'no'} | {result['first_read_s']} s |",
        END,
    ])
    write_section(DOC, section, START, END, "Benchmarks")


if __name__ == "__main__":
    typer.run(main)
