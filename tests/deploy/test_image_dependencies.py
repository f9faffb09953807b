"""The action server's and the gateway's images install requirements/app.txt without
sentence-transformers, to leave torch out (deploy/docker/actions.Dockerfile). Nothing else
in that file may pull torch back in: checked on the dependency metadata of the installed pins.
(That answering needs no torch is tests/matching/test_static_encoder.py's check.)"""

from __future__ import annotations

from importlib import metadata

from deploy_files import LEFT_OUT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.settings import ROOT

MODEL_STACK = {"torch", "transformers", "sentence-transformers"}


def _runtime_requirements() -> list[Requirement]:
    lines = (ROOT / "requirements" / "app.txt").read_text(encoding="utf-8").splitlines()
    found = [Requirement(line.split("#", 1)[0]) for line in lines
             if line.split("#", 1)[0].strip()]
    assert LEFT_OUT in {canonicalize_name(r.name) for r in found}
    return [r for r in found if canonicalize_name(r.name) != LEFT_OUT]


def _closure(roots: list[Requirement]) -> dict[str, list[str]]:
    """Every distribution the roots need (markers evaluated here, extras followed), with the
    chain that brings it in."""
    chains: dict[str, list[str]] = {}
    pending = [(root, [root.name]) for root in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement, chain = pending.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        chains.setdefault(key[0], chain)
        extras = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
        for text in metadata.requires(requirement.name) or []:
            needed = Requirement(text)
            if needed.marker is None or any(needed.marker.evaluate(e) for e in extras):
                pending.append((needed, [*chain, needed.name]))
    return chains


def test_the_images_that_serve_need_no_torch() -> None:
    chains = _closure(_runtime_requirements())
    pulled = {name: chains[name] for name in MODEL_STACK if name in chains}
    assert not pulled, f"pulled back in without {LEFT_OUT}: {pulled}"
    assert {"rasa-sdk", "tokenizers", "safetensors", "numpy", "fastapi"} <= set(chains)
