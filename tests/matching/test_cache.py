"""The model is rebuilt only when needed, deterministically; KB embeddings are cached on disk."""

from __future__ import annotations

import json
from pathlib import Path

from bot.knowledge import load_knowledge
from bot.matching import Matcher, semantic
from bot.matching.build import INFO_FILE, build_model


def test_second_load_reuses_the_embedding_cache(matcher: Matcher) -> None:
    cache = matcher.semantic.cache_file
    assert cache.exists()
    stamp, runs = cache.stat().st_mtime_ns, semantic.EMBED_RUNS
    again = Matcher(matcher.kb)
    assert again.semantic.cache_file == cache
    assert semantic.EMBED_RUNS == runs
    assert cache.stat().st_mtime_ns == stamp


def test_fresh_var_dir_builds_model_and_cache_once(tmp_path: Path) -> None:
    kb = load_knowledge()
    runs = semantic.EMBED_RUNS
    first = Matcher(kb, var_dir=tmp_path)
    assert (tmp_path / "match-model" / INFO_FILE).exists()
    assert semantic.EMBED_RUNS == runs + 1
    model_stamp = (tmp_path / "match-model" / "model.safetensors").stat().st_mtime_ns
    Matcher(kb, var_dir=tmp_path)
    assert semantic.EMBED_RUNS == runs + 1  # second load: no re-embedding, no rebuild
    assert (tmp_path / "match-model" / "model.safetensors").stat().st_mtime_ns == model_stamp
    assert first.match("mä tykkään koodata", [], "fi").fields[0].id == "it"


def test_build_is_deterministic(tmp_path: Path, matcher: Matcher) -> None:
    build_model(matcher.kb, tmp_path / "a")
    ours = json.loads((tmp_path / "a" / INFO_FILE).read_text())
    shipped = json.loads((matcher.semantic.model_dir / INFO_FILE).read_text())
    assert ours["weights_sha256"] == shipped["weights_sha256"]
    assert (tmp_path / "a" / "tokenizer.json").read_bytes() == (
        matcher.semantic.model_dir / "tokenizer.json").read_bytes()
