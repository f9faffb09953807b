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
