"""The numpy encoder gives sentence-transformers' own embeddings, without loading torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.loader import load_knowledge
from bot.matching.build import build_model
from bot.matching.corpus import kb_docs
from bot.matching.semantic import StaticEncoder
from bot.settings import ROOT

QUERIES = ["jag gillar att skruva på mopeder", "mä tykkään koodata", "jeg er god til matematik",
           "", "!!!", "zzzqqq xyzzy", "SVETSA svetsa svetsa", "🙂 el och bilar"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model(load_knowledge(), tmp_path_factory.mktemp("m") / "match-model")


def test_same_embeddings_as_sentence_transformers(model_dir: Path) -> None:
    from sentence_transformers import SentenceTransformer

    texts = [d.text for d in kb_docs(load_knowledge())] + QUERIES
    theirs = SentenceTransformer(str(model_dir), device="cpu").encode(
        texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    ours = StaticEncoder(model_dir).encode(texts)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape
    assert float(np.abs(ours - theirs).max()) < 1e-6
    assert not ours[QUERIES.index("") - len(QUERIES)].any()  # no token: all zero, as theirs


def test_answering_does_not_load_torch(model_dir: Path) -> None:
    """The action server's matcher, loaded as it loads it: no torch, no transformers."""
    code = ("import sys; from bot.matching import get_matcher; get_matcher()"
            ".match('jag gillar att svetsa', [], 'sv'); "
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=True,
                          env={"VAGVISAREN_VAR_DIR": str(model_dir.parent), "HF_HUB_OFFLINE": "1",
                               "PATH": "/usr/bin:/bin"})
    assert done.stdout.strip() == "[]", done.stderr[-2000:]
