"""`python -m bot.rasa_ext run …`: Rasa's own command line with bot.rasa_ext.patches applied
and incoming messages scrubbed (bot.rasa_ext.scrubbing), a sign-up's first name masked
before the tracker is saved (bot.rasa_ext.redaction), and a tracker store that fails closed
and reconnects after a database restart (bot.rasa_ext.tracker_faults), an event broker
that costs one query and one transaction per turn (bot.rasa_ext.broker_batch), and a Redis
lock store whose tickets stay whole when replicas take them at once (bot.rasa_ext.atomic_locks).

bot/stack.py starts the Rasa server this way, so `make run`, the tests and the benchmarks
all run the same, patched server. The API token comes from the environment and is added to
argv here, in-process, so it never appears on the command line (bot/rasa_ext/auth.py).
"""

from __future__ import annotations

import os
import sys

from bot.rasa_ext import atomic_locks, broker_batch, patches, redaction, scrubbing, tracker_faults
from bot.rasa_ext.auth import with_token


def main() -> None:
    sys.argv = with_token(sys.argv, os.environ)
    patches.apply()
    scrubbing.apply()
    redaction.apply()
    tracker_faults.apply()
    broker_batch.apply()
    atomic_locks.apply()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
