"""The small text classifier both of our trained NLU components use (bot/rasa_ext/concerns.py,
bot/rasa_ext/intents.py): character (2–5, accents folded) and word n-grams into a logistic
regression, trained in seconds, stored in Rasa's model storage with joblib."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union

from bot.text import fold

MODEL_FILE = "text_classifier.joblib"


def text_classifier() -> Pipeline:
    """Character and word n-grams into a logistic regression, one weight per class."""
    features = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                        preprocessor=fold, min_df=2),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                        preprocessor=fold),
    )
    classifier = LogisticRegression(C=10.0, class_weight="balanced", max_iter=3000)
    return Pipeline([("features", features), ("classifier", classifier)])


class StoredTextClassifier(GraphComponent):
    """A component that trains `text_classifier()` on the intent examples, each labelled by
    `label()`, and keeps it in the model; without two labels to tell apart it does nothing."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> StoredTextClassifier:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: Pipeline | None = None) -> None:
        self.config, self._model_storage, self._resource = config, model_storage, resource
        self.model = model

    @staticmethod
    def label(intent: str) -> str:
        """The class an intent example teaches (the intent itself by default)."""
        return intent

    def train(self, training_data: TrainingData) -> Resource:
        examples = [(e.get(TEXT), self.label(e.get(INTENT)))
                    for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)]
        if len({label for _, label in examples}) < 2:
            return self._resource
        self.model = text_classifier().fit([t for t, _ in examples], [lb for _, lb in examples])
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.model, Path(directory) / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> StoredTextClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(Path(directory) / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            model = None  # trained with nothing to tell apart
        return cls({**cls.get_default_config(), **config}, model_storage, resource, model)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
