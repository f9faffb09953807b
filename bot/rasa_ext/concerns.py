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

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.concerns import CONCERNS, NOT_A_CONCERN, concern_of_sentences, concern_overruled
from bot.rasa_ext.text_classifier import StoredTextClassifier
from bot.text import sentences


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class ConcernSentenceClassifier(StoredTextClassifier):
    """Reads each sentence of a long message for a question behind the choice."""

    @staticmethod
    def label(intent: str) -> str:
        return intent if intent in CONCERNS else NOT_A_CONCERN

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
