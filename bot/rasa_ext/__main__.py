"""`python -m bot.rasa_ext run …`: Rasa's own command line with bot.rasa_ext.patches applied
and incoming messages scrubbed (bot.rasa_ext.scrubbing).

bot/stack.py starts the Rasa server this way, so `make run`, the tests and the benchmarks
all run the same, patched server.
"""

from __future__ import annotations

from bot.rasa_ext import patches, scrubbing


def main() -> None:
    patches.apply()
    scrubbing.apply()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
