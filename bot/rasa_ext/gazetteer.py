"""A Rasa NLU component: `location` and `origin` entities from the gazetteer, not the CRF.

It also reads the intent with the places in mind: a short message with a confirmed place that
the classifier took for a greeting, a goodbye or nothing at all ("och i Göteborg då?",
"i thisted") is a place answer, and a message that ends with "hejdå"/"moikka"/"farvel" is a
goodbye. It runs before the FallbackClassifier, so a repaired intent is not turned into
`nlu_fallback` again.

The CRF guessed places from word shape, so sentence-initial capitals ("Jag", "Vilka",
"Minä") became towns and foreign countries became the user's home. This component runs after
the CRF, removes every `location` it proposed, and adds the places that `bot.gazetteer` finds:
the value is the canonical place id ("Porissa" -> "pori"), and a foreign country or city is
an `origin`, never a `location`. It has nothing to train and reads knowledge/gazetteer.json
when the model loads.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.dialogue import repaired_intent
from bot.gazetteer import Span, load_gazetteer

PLACE_ENTITIES = ("location", "origin")


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class GazetteerEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Places from the gazetteer; any other extractor's place guesses are dropped."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The FallbackClassifier's thresholds (config.yml): below them the intent is unread.
        return {"low_confidence": 0.3, "ambiguity": 0.03}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> GazetteerEntityExtractor:
        return cls(float(config.get("low_confidence", 0.3)), float(config.get("ambiguity", 0.03)))

    def __init__(self, low_confidence: float = 0.3, ambiguity: float = 0.03) -> None:
        self.low_confidence, self.ambiguity = low_confidence, ambiguity
        self.gazetteer = load_gazetteer()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            spans = self.gazetteer.find(text)
            found = [
                {"entity": span.entity, "value": span.value, "start": span.start,
                 "end": span.end, "confidence_entity": 1.0}
                for span in spans
            ]
            # A place is not also an interest ("Göteborg" tagged both ways by the CRF).
            kept = [
                entity for entity in message.get(ENTITIES, [])
                if entity.get("entity") not in PLACE_ENTITIES
                and not any(_overlap(entity, place) for place in found)
            ]
            message.set(ENTITIES, kept + self.add_extractor_name(found), add_to_output=True)
            self._repair_intent(message, text, spans, kept)
        return messages

    def _repair_intent(self, message: Message, text: str, spans: list[Span],
                       kept: list[dict[str, Any]]) -> None:
        """A short answer with a place is a place answer; one ending in "hejdå" a goodbye."""
        intent = message.get(INTENT) or {}
        name = intent.get("name")
        ranking = [r.get("confidence") or 0.0 for r in message.get(INTENT_RANKING_KEY) or []]
        close = len(ranking) > 1 and ranking[0] - ranking[1] < self.ambiguity
        if (intent.get("confidence") or 0.0) < self.low_confidence or close:
            name = "nlu_fallback"  # what the FallbackClassifier after us would make of it
        better = repaired_intent(name, text, spans,
                                 any(e.get("entity") == "interest" for e in kept))
        if better is None:
            return
        # The repaired intent alone: a close second would make the FallbackClassifier call it
        # ambiguous.
        message.set(INTENT, {"name": better, "confidence": 1.0}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": better, "confidence": 1.0}],
                    add_to_output=True)


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a.get("start", 0) < b["end"] and b["start"] < a.get("end", 0))
