"""Semantic layer: the project's StaticEmbedding model and cached knowledge-base embeddings.

The model is (re)built on first use when `var/match-model/` is missing or was built from other
inputs. Knowledge-base texts are embedded once and cached in `var/match-cache/`, keyed by the
model and the texts, so a query embeds only its own text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from bot.knowledge.schema import KnowledgeBase
from bot.matching.build import INFO_FILE, build_model, model_key, stored_key
from bot.matching.corpus import Doc, kb_docs

os.environ.setdefault("HF_HUB_OFFLINE", "1")
log = logging.getLogger(__name__)

# How many times knowledge-base texts were embedded in this process (the cache test reads it).
EMBED_RUNS = 0


class StaticEncoder:
    """The model's only module, a StaticEmbedding, computed with numpy: the mean of the
    message's token vectors, made unit length, exactly as sentence-transformers computes it.

    Loading sentence-transformers imports torch and transformers: 5-10 s of the action
    server's start, every start and restart, and hundreds of MB. Training (build.py) still
    uses it; answering a pupil needs only the tokenizer and one matrix.
    """

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        if [m["type"].rsplit(".", 1)[-1] for m in modules] != ["StaticEmbedding"]:
            raise ValueError(f"{model_dir}: expected one StaticEmbedding module, got {modules}")
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.weights = load_file(str(model_dir / "model.safetensors"))["embedding.weight"]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text; a text with no known token is all zero."""
        out = np.zeros((len(texts), self.weights.shape[1]), dtype=np.float32)
        for row, encoding in enumerate(self.tokenizer.encode_batch(texts,
                                                                   add_special_tokens=False)):
            if encoding.ids:
                out[row] = self.weights[encoding.ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        unit: np.ndarray = out / np.maximum(norms, 1e-12)  # torch.nn.functional.normalize's eps
        return unit


class SemanticIndex:
    """Query embedding and cosine similarity to every field, programme and profession text."""

    def __init__(self, kb: KnowledgeBase, var_dir: Path, nlu_dir: Path | None = None) -> None:
        self.model_dir = var_dir / "match-model"
        key = model_key(kb, nlu_dir)
        if stored_key(self.model_dir) != key:
            log.warning("matching model missing or stale: building %s (a few seconds)",
                        self.model_dir)
            build_model(kb, self.model_dir, nlu_dir)
        self.model = StaticEncoder(self.model_dir)
        self.docs: list[Doc] = kb_docs(kb)
        self.cache_file = var_dir / "match-cache" / f"kb-{self._cache_key(key)}.npy"
        self.matrix = self._load_or_embed()
        self.rows: dict[tuple[str, str, str], int] = {
            (d.kind, d.id, d.lang): i for i, d in enumerate(self.docs)}

    def _cache_key(self, key: str) -> str:
        digest = hashlib.sha256(key.encode())
        digest.update((self.model_dir / INFO_FILE).read_bytes())
        for doc in self.docs:
            digest.update(f"{doc.kind}\t{doc.id}\t{doc.lang}\t{doc.text}\n".encode())
        return digest.hexdigest()[:16]

    def _load_or_embed(self) -> np.ndarray:
        global EMBED_RUNS
        if self.cache_file.exists():
            loaded: np.ndarray = np.load(self.cache_file)
            return loaded
        EMBED_RUNS += 1
        matrix = self.embed_many([d.text for d in self.docs])
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".npy", dir=self.cache_file.parent)
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, matrix)
        os.replace(tmp, self.cache_file)
        log.info("embedded %d knowledge-base texts -> %s", len(self.docs), self.cache_file)
        return matrix

    def embed_many(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        return self.model.encode(texts)

    def embed(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed_many([text])[0]
        return vector

    def similarity(self, query: np.ndarray, kind: str, record_id: str, lang: str) -> float:
        """Cosine similarity of a query embedding to one knowledge-base text (0 if unknown)."""
        row = self.rows.get((kind, record_id, lang))
        return 0.0 if row is None else float(self.matrix[row] @ query)

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of a query embedding to every knowledge-base text (row order)."""
        sims: np.ndarray = self.matrix @ query
        return sims

    def row(self, kind: str, record_id: str, lang: str) -> int | None:
        return self.rows.get((kind, record_id, lang))
