"""Build the interest-matching StaticEmbedding model into var/match-model/ (git-ignored).

    .venv/bin/python scripts/build_match_model.py [--force] [--out DIR]

Deterministic (seeded, one thread) and a few seconds on 2 CPU cores. The matcher also runs
this on first use when the model is missing or its inputs changed, so this is optional.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.knowledge import load_knowledge  # noqa: E402
from bot.matching.build import INFO_FILE, build_model, model_key, stored_key  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "match-model")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    kb = load_knowledge()
    key = model_key(kb)
    if not args.force and stored_key(args.out) == key:
        print(f"up to date: {args.out} (inputs {key})")
        return 0
    started = time.monotonic()
    build_model(kb, args.out)
    info = json.loads((args.out / INFO_FILE).read_text())
    print(f"built {args.out} in {time.monotonic() - started:.1f} s: "
          f"inputs {info['inputs_sha256']}, weights {info['weights_sha256']}, "
          f"{info['pairs']} pairs, vocab {info['vocab']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
