"""`python -m bot.matching [VAR_DIR]`: build the matching model there unless it is up to date."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from bot.matching.build import ensure_model
from bot.settings import get_settings

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ensure_model(Path(sys.argv[1]) if len(sys.argv) > 1 else get_settings().var_dir)
