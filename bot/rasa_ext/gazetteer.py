"""A Rasa NLU component: `location` and `origin` entities from the gazetteer, not the CRF.

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
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.gazetteer import load_gazetteer

PLACE_ENTITIES = ("location", "origin")


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class GazetteerEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Places from the gazetteer; any other extractor's place guesses are dropped."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage,
               resource: Resource, execution_context: ExecutionContext) -> GazetteerEntityExtractor:
        return cls()

    def __init__(self) -> None:
        self.gazetteer = load_gazetteer()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            found = [
                {"entity": span.entity, "value": span.value, "start": span.start,
                 "end": span.end, "confidence_entity": 1.0}
                for span in self.gazetteer.find(text)
            ]
            # A place is not also an interest ("Göteborg" tagged both ways by the CRF).
            kept = [
                entity for entity in message.get(ENTITIES, [])
                if entity.get("entity") not in PLACE_ENTITIES
                and not any(_overlap(entity, place) for place in found)
            ]
            message.set(ENTITIES, kept + self.add_extractor_name(found), add_to_output=True)
        return messages


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a.get("start", 0) < b["end"] and b["start"] < a.get("end", 0))
