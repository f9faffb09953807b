"""Serving until Ctrl-C under the supervisor: shared by `make run` (bot/stack.py) and
`make run-scaled` (bot/scaled.py)."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable

from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.settings import Settings
from bot.supervisor import Policy, Services, Supervisor


def serve(stack: Services, settings: Settings, starting: str, banner: str,
          cleanup: Callable[[], None] = lambda: None) -> None:
    """Start every service of `stack`, print `banner` once all are up, then supervise them
    until SIGINT/SIGTERM; `cleanup` runs after the services are stopped (or failed to start).
    Exits with 1 when the knowledge base is broken or the first start fails."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per health check
    supervisor = Supervisor(stack, Policy.from_settings(settings))
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nStopping Vägvisaren…", flush=True)
            supervisor.close()
            cleanup()
            sys.exit(0)

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        load_knowledge()  # never serve half the data: refuse to start on a broken file
    except KnowledgeError as err:
        print(f"Not starting: the knowledge base is broken.\n{err}", file=sys.stderr)
        cleanup()
        raise SystemExit(1) from err
    print(starting, flush=True)
    supervisor.start_all()
    try:
        supervisor.wait_first_start(timeout_s=settings.supervise_start_timeout_s)
    except (RuntimeError, TimeoutError) as err:
        print(f"Start-up failed: {err}", file=sys.stderr)
        supervisor.close()
        cleanup()
        raise SystemExit(1) from err
    print(banner, flush=True)
    supervisor.run_forever()
