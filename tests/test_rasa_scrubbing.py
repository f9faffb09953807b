"""bot.rasa_ext.scrubbing: a message that reaches Rasa by any channel is scrubbed there too.

Rasa's channel webhooks take no token, so the gateway is not the only way in. This runs in the
Rasa environment (.venv-rasa, Python 3.10), where the patch is used; tests/abuse covers the
running server.
"""

from __future__ import annotations

import json
import subprocess

from bot.settings import ROOT
from bot.stack import RASA_PYTHON

RASA_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}
RAW = "ring 070-123 45 67, hetu 131052-308T, sam@example.se"

SCRIPT = r"""
import json, sys
from rasa.core.channels.channel import UserMessage
from bot.rasa_ext import scrubbing

before = UserMessage(sys.argv[1], sender_id="s").text
scrubbing.apply()
scrubbing.apply()
after = [UserMessage(sys.argv[1], sender_id="s").text,
         UserMessage(text=sys.argv[1], sender_id="s").text,
         UserMessage(None, sender_id="s").text,
         UserMessage("/greet", sender_id="s").text]
print(json.dumps({"before": before, "after": after,
                  "marked": getattr(UserMessage.__init__, scrubbing.MARK, False)}))
"""


def test_user_messages_are_scrubbed_inside_rasa() -> None:
    done = subprocess.run([str(RASA_PYTHON), "-c", SCRIPT, RAW], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=RASA_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["before"] == RAW  # unpatched Rasa stores the text as typed
    scrubbed = "ring [telefon], hetu [henkilötunnus], [e-post]"
    assert result["after"] == [scrubbed, scrubbed, None, "/greet"]
    assert result["marked"] is True


REDACT = r"""
import json
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import SlotSet, UserUttered, ActionExecuted
from bot.rasa_ext import redaction

refused = UserUttered("hjälp", {"name": "help"})
given = UserUttered("Jag heter Olena Petrenko", {"name": "inform"},
                    entities=[{"entity": "name", "value": "Olena"}])
events = [SlotSet("requested_slot", "nickname"), refused, ActionExecuted("signup_form"),
          given, SlotSet("nickname", "Olena"), SlotSet("nickname", None),
          UserUttered("nej tack"), SlotSet("nickname", "-")]
count = redaction.redact_signup_names(events)
again = redaction.redact_signup_names(events)
redaction.apply()
redaction.apply()
print(json.dumps({"count": count, "again": again,
                  "stored": [e.as_dict() for e in events],
                  "marked": getattr(MessageProcessor.save_tracker, redaction.MARK, False)}))
"""


def test_a_sign_up_name_is_masked_before_rasa_saves_the_turn() -> None:
    done = subprocess.run([str(RASA_PYTHON), "-c", REDACT], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=RASA_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["count"] == 1 and result["again"] == 0 and result["marked"] is True
    stored = json.dumps(result["stored"], ensure_ascii=False)
    assert "Olena" not in stored and "Petrenko" not in stored
    texts = [e.get("text") for e in result["stored"] if e["event"] == "user"]
    assert texts == ["hjälp", "[förnamn]", "nej tack"]  # only the message that gave the name
    slots = [e["value"] for e in result["stored"] if e.get("name") == "nickname"]
    assert slots == ["[förnamn]", None, "-"]
