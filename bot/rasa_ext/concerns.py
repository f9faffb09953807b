"""A Rasa NLU component: the question behind a long message, read sentence by sentence.

Real people write several sentences at once: "Jag är jätterädd att välja fel program. Jag
gillar bilar och bor i Umeå." DIET reads the whole message and, pulled by the interest and
the town, calls it `tell_interest` with 0.99. The worry is lost and the user gets suggestions
as if they had asked nothing. This component trains a small sentence classifier (character
and word n-grams, logistic regression) on the training examples of the questions behind the
choice (bot/concerns.py CONCERNS) against all other intents. For a message of two or more
sentences whose intent is only about interests or places (OVERRIDABLE_INTENTS), a sentence
read as such a question with probability >= SENTENCE_CONFIDENCE makes it the message's intent.
The entities stay: the action answers the worry, then uses the interest and the place.

The other way round, too: the training examples of these questions are often long ("Jeg var
svejser i Polen. Hvad er lønnen her?"), and DIET learnt to read "Jeg var elektriker i Polen."
as a question about pay. When no sentence of a message is such a question, confidently, a
message with an interest tells it and one with a place gives it (bot/concerns.py).

It trains in seconds and runs before the FallbackClassifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union

from bot.concerns import CONCERNS, NOT_A_CONCERN, concern_of_sentences, concern_overruled
from bot.text import fold, sentences

MODEL_FILE = "sentence_classifier.joblib"


def text_classifier() -> Pipeline:
    """Character (2–5, accents folded) and word n-grams into a logistic regression."""
    features = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                        preprocessor=fold, min_df=2),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                        preprocessor=fold),
    )
    classifier = LogisticRegression(C=10.0, class_weight="balanced", max_iter=3000)
    return Pipeline([("features", features), ("classifier", classifier)])


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class ConcernSentenceClassifier(GraphComponent):
    """Reads each sentence of a long message for a question behind the choice."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> ConcernSentenceClassifier:
        return cls(model_storage, resource)

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 model: Pipeline | None = None) -> None:
        self._model_storage, self._resource, self.model = model_storage, resource, model

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = [], []
        for example in training_data.intent_examples:
            text, intent = example.get(TEXT), example.get(INTENT)
            if text and intent:
                texts.append(text)
                labels.append(intent if intent in CONCERNS else NOT_A_CONCERN)
        if len(set(labels)) < 2:
            return self._resource  # no questions behind the choice to learn: do nothing
        self.model = text_classifier().fit(texts, labels)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.model, Path(directory) / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> ConcernSentenceClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(Path(directory) / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            model = None  # trained without such questions
        return cls(model_storage, resource, model)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        classes = list(self.model.classes_)
        for message in messages:
            parts = sentences(message.get(TEXT) or "")
            intent = (message.get(INTENT) or {}).get("name")
            if not parts or (len(parts) < 2 and intent not in CONCERNS):
                continue
            scored = [(classes[row.argmax()], float(row.max()))
                      for row in self.model.predict_proba(parts)]
            found = concern_of_sentences(intent, scored)
            entities = {e.get("entity") for e in message.get(ENTITIES) or []}
            name = found[0] if found else concern_overruled(
                intent, scored, "interest" in entities, "location" in entities)
            if name is None:
                continue
            # The new intent alone: a close second would make the FallbackClassifier call the
            # message ambiguous.
            message.set(INTENT, {"name": name, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": 1.0}],
                        add_to_output=True)
        return messages
