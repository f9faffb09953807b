"""bot.rasa_ext.concerns and bot.rasa_ext.intents, trained on the real training data in the
Rasa environment (.venv-rasa) where they run: a long message is read sentence by sentence for
the question behind it, and DIET's reading is averaged with a linear classifier's."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.settings import ROOT
from bot.stack import RASA_PYTHON

RASA_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}

# (message, the intent DIET gave it, the intent it should leave with[, entity names])
CASES: list[tuple[str, ...]] = [
    # A worry, then an interest and a town: DIET hears only the interest.
    ("Jag är jätterädd att välja fel program. Jag gillar bilar och bor i Umeå.",
     "tell_interest", "worry_choice"),
    ("Min mand mener, at vores søn skal tage stx. Men han er vild med computere. Vi bor i "
     "Aarhus.", "tell_interest", "parent_pressure"),
    ("Oon tyttö ja tykkään hitsata. Onks metallipuolella ees muita tyttöjä?", "tell_interest",
     "myth_gender"),
    # Only interests and places: nothing to add.
    ("Hej! Jag gillar att svetsa. Bor i Kungälv.", "tell_interest", "tell_interest"),
    ("Moi. Mä tykkään koodata. Asun Turussa.", "tell_interest", "tell_interest"),
    # One sentence: DIET's reading stands.
    ("jag gillar bilar men är rädd att välja fel", "tell_interest", "tell_interest"),
    # A question of its own is never overridden.
    ("Jeg er bange for at vælge forkert. Kan jeg tale med en vejleder?", "ask_counsellor",
     "ask_counsellor"),
    # DIET took a learner's statement for a pay question, a place for a worry: no sentence is
    # one, so the message tells its interest or its place.
    ("Jeg var elektriker i Polen.", "ask_pay", "tell_interest", "interest"),
    ("Hej. Jag bor i Vännäs sedan två år.", "worry_choice", "tell_location", "location"),
    # ...but a real question stays one.
    ("Jeg var elektriker i Polen. Hvad tjener man her?", "ask_pay", "ask_pay", "interest"),
    ("vad tjänar en elektriker", "ask_pay", "ask_pay", "interest"),
]

SCRIPT = r"""
import json, sys, tempfile
from pathlib import Path
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.training_data.message import Message
from bot.rasa_ext.concerns import ConcernSentenceClassifier
from bot.rasa_ext.intents import LinearIntentEnsemble

data = RasaFileImporter(training_data_paths=["data/nlu"]).get_nlu_data()
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
resource = Resource("concerns")
component = ConcernSentenceClassifier.create({}, storage, resource, None)
component.train(data)
loaded = ConcernSentenceClassifier.load({}, storage, resource, None)
out = []
for text, intent, _, *names in json.loads(sys.argv[1]):
    entities = [{"entity": name, "value": "x", "start": 0, "end": 1} for name in names]
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.99},
                            "entities": entities})
    loaded.process([message])
    out.append(message.get("intent")["name"])
ensemble = LinearIntentEnsemble.create({}, storage, Resource("intents"), None)
ensemble.train(data)
ensemble = LinearIntentEnsemble.load({}, storage, Resource("intents"), None)
averaged = []
for text, ranking in json.loads(sys.argv[2]):
    message = Message(data={"text": text, "intent": {"name": ranking[0][0]},
                            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]})
    ensemble.process([message])
    averaged.append([message.get("intent")["name"], message.get("intent")["confidence"],
                     len(message.get("intent_ranking"))])
print(json.dumps({"concerns": out, "ensemble": averaged}))
"""

# (message, DIET's ranking as it came out of a retrain, the intent the average must give)
DIET_SLIPS = [
    ("gider godt arbejde med el", [["bot_challenge", 0.53], ["ask_adult_education", 0.12]],
     "tell_interest"),
    ("mua kiinnostaa rekat", [["affirm", 0.52], ["undecided", 0.22]], "tell_interest"),
    # where DIET is right and sure, the average agrees
    ("hej hej", [["greet", 0.99], ["goodbye", 0.01]], "greet"),
]


@pytest.fixture(scope="module")
def results() -> dict[str, list]:
    slips = [[text, ranking] for text, ranking, _ in DIET_SLIPS]
    done = subprocess.run([str(RASA_PYTHON), "-c", SCRIPT, json.dumps(CASES), json.dumps(slips)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=RASA_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0][:40] for c in CASES])
def test_the_question_behind_a_long_message(results: dict[str, list], index: int) -> None:
    text, _, expected = CASES[index][:3]
    assert results["concerns"][index] == expected, text


@pytest.mark.parametrize("index", range(len(DIET_SLIPS)), ids=[s[0] for s in DIET_SLIPS])
def test_the_linear_classifier_catches_diets_slips(results: dict[str, list], index: int) -> None:
    name, confidence, ranked = results["ensemble"][index]
    assert name == DIET_SLIPS[index][2]
    assert 0.0 < confidence <= 1.0 and 2 <= ranked <= 10
