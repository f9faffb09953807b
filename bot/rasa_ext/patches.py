"""A measured fix for Rasa 3.6's slowest step under load: validating action-server replies.

`RemoteAction._validate_action_result` calls `jsonschema.validate(result, spec)` for every
action-server reply. That function first checks the schema itself against the JSON Schema
2020-12 meta-schema and builds a new validator each time: about 21 ms of CPU per call, which
py-spy showed as half of Rasa's CPU under load (docs/benchmarks.md). The schema never
changes, so we check it once and keep the validator: about 0.9 ms per call, same verdicts,
same error message.

It replaces a private method, so it is written for one Rasa version (WRITTEN_FOR) and refuses
to apply to any other: it logs an error and leaves that Rasa as it is, slower but correct.
Upgrading Rasa means reading the new `_validate_action_result`, re-measuring, and only then
moving WRITTEN_FOR (tests/test_rasa_patches.py runs the patched method through
`RemoteAction.run` against a real action-server reply).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import rasa
from jsonschema import ValidationError, exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

MARK = "_vagvisaren_patched"
WRITTEN_FOR = "3.6.21"  # the Rasa whose RemoteAction._validate_action_result this replaces
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    spec = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Same contract as Rasa's: True, or a ValidationError with Rasa's hint appended."""
    # As jsonschema.validate does, report the most relevant error, not the first one found.
    error: ValidationError | None = exceptions.best_match(_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def apply() -> bool:
    """Install the cached validator once; a second call changes nothing. True when Rasa runs
    patched; False, with an error in the log, when this is not the Rasa it was written for."""
    if getattr(RemoteAction._validate_action_result, MARK, False):
        return True
    running = getattr(rasa, "__version__", "unknown")
    if running != WRITTEN_FOR:
        log.error("NOT patching Rasa %s: bot/rasa_ext/patches.py replaces the private "
                  "RemoteAction._validate_action_result of Rasa %s only. Rasa runs unpatched "
                  "(correct, but each action reply costs ~20 ms more CPU). Check the new method "
                  "and re-measure before moving WRITTEN_FOR.", running, WRITTEN_FOR)
        return False
    setattr(_validate_action_result, MARK, True)
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    return True

