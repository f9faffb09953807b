"""Build the StaticEmbedding model from the project's own data, deterministically.

No multilingual sentence-transformers model is available offline, so we train one: a WordPiece
tokenizer (tokenizers library) on the knowledge-base texts, synonyms and NLU interest sentences,
then a mean-pooled static embedding table with MultipleNegativesRankingLoss on
(interest phrase -> field label + description) pairs in sv, fi and da. Each batch holds one
anchor per field, so the in-batch negatives are exactly the other fields.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.knowledge.schema import KnowledgeBase
from bot.labels import LANGUAGES
from bot.matching.corpus import (
    field_text,
    inputs_hash,
    nlu_interest_sentences,
    tokenizer_texts,
    training_pairs,
)
from bot.matching.lexical import LexicalIndex

if TYPE_CHECKING:
    from tokenizers import Tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
log = logging.getLogger(__name__)

SEED, DIM, VOCAB_SIZE, STEPS, LR, SCALE = 13, 128, 4000, 900, 0.05, 20.0
CROSS_LINGUAL = 0.3  # share of batches whose field texts are in another language
PARAMS: dict[str, object] = {
    "seed": SEED, "dim": DIM, "vocab_size": VOCAB_SIZE, "steps": STEPS, "lr": LR,
    "scale": SCALE, "cross_lingual": CROSS_LINGUAL, "tokenizer": "unigram+hard-em-2",
}
INFO_FILE = "build-info.json"
MAX_PIECE = 12  # longest tokenizer piece, in characters
EM_ROUNDS = 2  # rounds of hard EM that re-estimate the piece scores


def model_key(kb: KnowledgeBase, nlu_dir: Path | None = None) -> str:
    """The hash the model at a path must carry to be up to date."""
    nlu = nlu_interest_sentences(nlu_dir) if nlu_dir else nlu_interest_sentences()
    return inputs_hash(kb, nlu, PARAMS)


def stored_key(path: Path) -> str | None:
    """Input hash of the model stored at `path`, or None when there is none."""
    try:
        key = json.loads((path / INFO_FILE).read_text())["inputs_sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return key if isinstance(key, str) else None


def _train_tokenizer(texts: list[str], vocab_size: int) -> Tokenizer:
    """Unigram tokenizer (sentencepiece-style pieces such as "moped" + "erna").

    The Unigram trainer's piece set is stable from run to run, but its scores are not (a hash
    map's order changes float sums in the last digits, and rounding then flips some). So only
    the pieces are taken from the trainer; their scores are re-estimated here, deterministically:
    log relative substring counts, then two rounds of hard EM (count each piece in the best
    segmentation of every word). Same corpus, same tokenizer, byte for byte.
    """
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import Unigram
    from tokenizers.trainers import UnigramTrainer

    def fresh(model: Unigram) -> Tokenizer:
        tok = Tokenizer(model)
        # Same folding as bot.knowledge.queries.fold: case, accents, ø/æ.
        tok.normalizer = normalizers.Sequence([
            normalizers.Lowercase(), normalizers.Replace("ø", "o"),
            normalizers.Replace("æ", "ae"), normalizers.NFKD(), normalizers.StripAccents(),
        ])
        tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(),
                                                     pre_tokenizers.Metaspace()])
        return tok

    trained = fresh(Unigram())
    trainer = UnigramTrainer(vocab_size=vocab_size, special_tokens=["[UNK]"], unk_token="[UNK]",
                             max_piece_length=MAX_PIECE, show_progress=False)
    trained.train_from_iterator(texts, trainer=trainer)
    pieces = sorted(p for p, _ in json.loads(trained.to_str())["model"]["vocab"] if p != "[UNK]")
    words: Counter[str] = Counter()
    for text in texts:
        normal = trained.normalizer.normalize_str(text)
        words.update(w for w, _ in trained.pre_tokenizer.pre_tokenize_str(normal))
    known = set(pieces)
    counts: Counter[str] = Counter()
    for word, n in words.items():
        for i in range(len(word)):
            for j in range(i + 1, min(len(word), i + MAX_PIECE) + 1):
                if word[i:j] in known:
                    counts[word[i:j]] += n
    scores = _log_shares(pieces, counts)
    for _ in range(EM_ROUNDS):
        model = Unigram([("[UNK]", 0.0), *scores], unk_id=0, byte_fallback=False)
        used: Counter[str] = Counter()
        for word, n in words.items():
            for token in model.tokenize(word):
                used[token.value] += n
        scores = _log_shares(pieces, used)
    return fresh(Unigram([("[UNK]", 0.0), *scores], unk_id=0, byte_fallback=False))


def _log_shares(pieces: list[str], counts: Counter[str]) -> list[tuple[str, float]]:
    """(piece, log share of all counts), best first; unseen pieces get half a count."""
    total = sum(counts.values()) + 0.5 * len(pieces)
    scored = [(p, round(math.log((counts[p] or 0.5) / total), 4)) for p in pieces]
    return sorted(scored, key=lambda x: (-x[1], x[0]))


def build_model(kb: KnowledgeBase, out_dir: Path, nlu_dir: Path | None = None) -> Path:
    """Train the model and write it to `out_dir` (replaced atomically). Returns `out_dir`."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    started = time.monotonic()
    nlu = nlu_interest_sentences(nlu_dir) if nlu_dir else nlu_interest_sentences()
    lex = LexicalIndex(kb)
    pairs = training_pairs(kb, lex, nlu)
    pool: dict[tuple[str, str], list[str]] = {}
    for text, fid, lang in pairs:
        pool.setdefault((lang, fid), []).append(text)
    field_ids = [f.id for f in kb.fields]
    docs = {(lang, fid): field_text(kb, fid, lang) for lang in LANGUAGES for fid in field_ids}

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: identical float sums, so identical weights
    try:
        rng = random.Random(SEED)
        torch.manual_seed(SEED)
        tokenizer = _train_tokenizer(tokenizer_texts(kb, nlu), VOCAB_SIZE)
        generator = torch.Generator().manual_seed(SEED)
        weights = torch.randn(tokenizer.get_vocab_size(), DIM, generator=generator) * 0.1
        embedding = StaticEmbedding(tokenizer, embedding_weights=weights)
        model = SentenceTransformer(modules=[embedding], device="cpu")
        loss_fn = MultipleNegativesRankingLoss(model, scale=SCALE)
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        model.train()
        for step in range(STEPS):
            lang = LANGUAGES[step % len(LANGUAGES)]
            anchors, positives = [], []
            for fid in field_ids:
                if (lang, fid) not in pool:
                    continue
                anchors.append(rng.choice(pool[(lang, fid)]))
                doc_lang = rng.choice(LANGUAGES) if rng.random() < CROSS_LINGUAL else lang
                positives.append(docs[(doc_lang, fid)])
            features = [model.preprocess(anchors), model.preprocess(positives)]
            loss = loss_fn(features, torch.zeros(len(anchors)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
    finally:
        torch.set_num_threads(threads)

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".match-model-", dir=out_dir.parent))
    model.save(str(tmp))
    info = {"inputs_sha256": inputs_hash(kb, nlu, PARAMS), "params": PARAMS,
            "pairs": len(pairs), "vocab": tokenizer.get_vocab_size(),
            "weights_sha256": _weights_hash(embedding.embedding.weight.detach().numpy()),
            "seconds": round(time.monotonic() - started, 1)}
    (tmp / INFO_FILE).write_text(json.dumps(info, indent=2))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    log.info("built matching model %s in %.1f s -> %s", info["inputs_sha256"],
             info["seconds"], out_dir)
    return out_dir


def _weights_hash(array: np.ndarray) -> str:
    return hashlib.sha256(array.tobytes()).hexdigest()[:16]


def ensure_model(var_dir: Path) -> bool:
    """Build the model under `var_dir` unless the one there is up to date; True if it built.

    The stack calls this before it starts the action server, whose worker must report ready
    within Sanic's 30 s: on two busy cores, building inside the worker could miss that.
    """
    from bot.knowledge.loader import load_knowledge

    kb = load_knowledge()
    out_dir = var_dir / "match-model"
    if stored_key(out_dir) == model_key(kb):
        return False
    build_model(kb, out_dir)
    return True

