"""Rasa itself answers a turn whose language slot is unset: with each response's default
variation, in the default language. Runs Rasa's own response selection (.venv-rasa) on
domain.yml, as the server does."""

from __future__ import annotations

import json
import subprocess

import yaml

from bot.settings import ROOT
from bot.stack import RASA_PYTHON

RASA_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}

SCRIPT = r"""
import json
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain

domain = Domain.load("domain.yml")
nlg = TemplatedNaturalLanguageGenerator(domain.responses)
out = {}
for name in domain.responses:
    unset = nlg.generate_from_slots(name, {"language": None, "plain_language": False}, "rest")
    finnish = nlg.generate_from_slots(name, {"language": "fi", "plain_language": False}, "rest")
    out[name] = [unset and unset.get("text"), finnish and finnish.get("text")]
print(json.dumps(out))
"""


def test_rasa_sends_the_default_variation_when_no_language_is_set() -> None:
    done = subprocess.run([str(RASA_PYTHON), "-c", SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=RASA_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    chosen = json.loads(done.stdout.strip().splitlines()[-1])
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))

    def text(name: str, language: str) -> str:
        return next(v["text"] for v in domain["responses"][name]
                    if {c["name"]: c["value"] for c in v.get("condition", [])}
                    == {"language": language, "plain_language": False})

    assert set(chosen) == set(domain["responses"])
    for name, (unset, finnish) in chosen.items():
        assert unset == text(name, "sv"), name  # a reply, in Swedish
        assert finnish == text(name, "fi"), name  # the conditions still win when they match
