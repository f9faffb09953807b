"""`make validate`: Rasa's data validation, with every warning about the data made fatal.

    python -m bot.validate_data .venv-rasa/bin/rasa data validate --fail-on-warning ...

Runs the given `rasa data validate` command and passes its output through, with one exception.
Rasa 3.6 warns "The utterance 'X' is not used in any story or rule" for each response that only
a custom action sends (no rule or story names it), and never fails on that warning, whatever
--fail-on-warning says (rasa/validator.py, verify_utterances_in_stories: `ignore_warnings or
everything_is_alright` is always true). Rasa 3.6 has no way to declare such responses, so they
are checked here instead: each must be sent by our own code, its name written as a string in
actions/ or bot/, or the run fails, as it should for a response that nothing sends. The ones
that pass are summed up in one line instead of forty.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = ("actions", "bot")
UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule\.")


@dataclass(frozen=True)
class Verdict:
    output: list[str]  # Rasa's lines, less the unused-utterance warnings
    sent_by_code: list[str]  # responses no rule names, but our code sends
    unsent: list[str]  # responses that nothing sends: an error

    @property
    def ok(self) -> bool:
        return not self.unsent


def names_in_code(folders: Iterable[Path]) -> set[str]:
    """Every string literal of the Python code under `folders` that is a whole response name
    ("utter_..."): what the actions and the library can send. Docstrings and comments that
    merely mention a name do not count."""
    names: set[str] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                        and re.fullmatch(r"utter_\w+", node.value):
                    names.add(node.value)
    return names


def judge(lines: Iterable[str], sent: set[str]) -> Verdict:
    """Split Rasa's output into what to show, and the unused-utterance warnings by verdict."""
    output: list[str] = []
    sent_by_code: list[str] = []
    unsent: list[str] = []
    for line in lines:
        found = UNUSED.search(line)
        if found is None:
            output.append(line)
        elif found.group(1) in sent:
            sent_by_code.append(found.group(1))
        else:
            unsent.append(found.group(1))
    return Verdict(output, sorted(set(sent_by_code)), sorted(set(unsent)))


def main(command: list[str]) -> int:
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False)
    verdict = judge(done.stdout.splitlines(),
                    names_in_code(ROOT / folder for folder in CODE))
    print("\n".join(verdict.output))
    print(f"{len(verdict.sent_by_code)} responses are sent only by custom actions (no rule "
          f"names them): each is sent by the code in {' or '.join(f'{c}/' for c in CODE)}.")
    if not verdict.ok:
        print("ERROR: responses that no rule, story or code sends (remove them, or send "
              f"them): {', '.join(verdict.unsent)}", file=sys.stderr)
        return 1
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
