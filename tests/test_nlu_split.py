"""The held-out NLU split and the conversation tests must not leak into the training data.

A test sentence that the model was trained on measures memory, not understanding: the scores
of `make eval-nlu` and `make eval-dialogue` would look better than the bot really is. So no
example of tests/nlu/*.yml and no user message of tests/conversations/*.yml may appear in
data/nlu/*.yml (any language), compared as plain text after case and whitespace folding.
When this fails, delete the sentence from data/nlu, so that the held-out side stays whole.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TRAIN_FILES = sorted((ROOT / "data" / "nlu").glob("*.yml"))
TEST_FILES = sorted((ROOT / "tests" / "nlu").glob("*.yml"))

# [span](entity), [span](entity:value), [span]{"entity": ...} and [span][{...}, {...}]
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


def fold(text: str) -> str:
    """Plain text without entity annotations, case- and whitespace-folded."""
    return " ".join(_ANNOTATION.sub(r"\1", text).casefold().split())


def intent_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, raw example) for every intent example of a Rasa YAML NLU file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: list[tuple[str, str]] = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue  # synonyms, lookups and regexes are not sentences
        examples = block.get("examples") or ""
        if isinstance(examples, str):
            lines = [ln.strip().removeprefix("- ") for ln in examples.splitlines()]
        else:  # the list form: `- text: ...`
            lines = [str(item.get("text", "")) for item in examples]
        out += [(block["intent"], ln.strip()) for ln in lines if ln.strip()]
    return out


def training_texts() -> dict[str, str]:
    """Folded training text -> every "file: raw example" it comes from."""
    texts: dict[str, list[str]] = {}
    for path in TRAIN_FILES:
        for _, example in intent_examples(path):
            texts.setdefault(fold(example), []).append(f"{path.relative_to(ROOT)}: {example}")
    return {text: " | ".join(where) for text, where in texts.items()}


def conversation_messages() -> list[tuple[str, str]]:
    """(file, user message) for every turn with a `user` text in tests/conversations/*.yml."""
    out: list[tuple[str, str]] = []
    for path in sorted((ROOT / "tests" / "conversations").glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:  # removed while we listed the folder
            continue
        for conversation in data.get("conversations") or []:
            for turn in (conversation or {}).get("turns") or []:
                if isinstance(turn, dict) and turn.get("user") is not None:
                    out.append((path.name, str(turn["user"])))
    return out


def test_nlu_files_found() -> None:
    assert TRAIN_FILES and TEST_FILES


def test_no_held_out_example_in_training_data() -> None:
    train = training_texts()
    leaks = [
        f"{path.relative_to(ROOT)} [{intent}] {example!r} == {train[fold(example)]}"
        for path in TEST_FILES
        for intent, example in intent_examples(path)
        if fold(example) in train
    ]
    assert not leaks, f"{len(leaks)} held-out examples are in data/nlu:\n" + "\n".join(leaks)


def test_no_conversation_message_in_training_data() -> None:
    train = training_texts()
    leaks = [
        f"tests/conversations/{name}: {text!r} == {train[fold(text)]}"
        for name, text in conversation_messages()
        if fold(text) in train
    ]
    assert not leaks, f"{len(leaks)} conversation messages are in data/nlu:\n" + "\n".join(leaks)
