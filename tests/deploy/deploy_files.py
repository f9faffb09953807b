"""Readers for deploy/ and requirements/, for tests/deploy: the files cannot be built or run
here (no container daemon, no cluster), so the tests read them as text and YAML.

The Dockerfile reader knows what our Dockerfiles use: comments, `\\` continuations, stages
(`FROM image AS name`), and instructions as (KEYWORD, rest of the line).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT

DEPLOY = ROOT / "deploy"
DOCKER = DEPLOY / "docker"
VARIABLE = re.compile(r"VAGVISAREN_[A-Z0-9_]+")
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)")
# The one package of requirements/app.txt that the images which serve leave out: it pulls
# torch, and only building the matching model needs it (deploy/docker/actions.Dockerfile).
LEFT_OUT = "sentence-transformers"


@dataclass
class Stage:
    """One build stage: its base image, its name (`AS …`) and its instructions."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [rest for kw, rest in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def copies(self) -> list[tuple[list[str], str, str | None]]:
        """(sources, destination, --from stage) of each COPY."""
        out = []
        for rest in self.all("COPY"):
            words = shlex.split(rest)
            origin = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
            paths = [w for w in words if not w.startswith("--")]
            out.append((paths[:-1], paths[-1], origin))
        return out

    def exec_form(self, keyword: str) -> list[str]:
        """The JSON (exec) form of the stage's last CMD or ENTRYPOINT; [] when there is none."""
        rest = self.last(keyword)
        return list(json.loads(rest)) if rest else []


def dockerfile(path: Path) -> list[Stage]:
    """The stages of a Dockerfile, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    assert not pending, f"{path}: the last line continues"
    stages: list[Stage] = []
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            words = rest.split()
            named = len(words) == 3 and words[1].upper() == "AS"
            stages.append(Stage(words[0], words[2] if named else None))
        else:
            assert stages, f"{path}: {keyword} before FROM"
            stages[-1].instructions.append((keyword, rest))
    return stages


def serving_chain(stages: list[Stage]) -> list[Stage]:
    """The final stage and the stages it is built on (`FROM <stage>`), base first: what the
    image that runs contains (a stage it only copies files from is not in it)."""
    by_name = {stage.name: stage for stage in stages if stage.name}
    chain = [stages[-1]]
    while chain[0].base in by_name:
        chain.insert(0, by_name[chain[0].base])
    return chain


def pip_installs(stage: Stage) -> list[list[str]]:
    """The arguments of every `pip install` in the stage's RUN instructions."""
    out = []
    for rest in stage.all("RUN"):
        command: list[str] = []
        for word in [*shlex.split(rest), "&&"]:
            if word not in ("&&", ";", "||"):
                command.append(word)
                continue
            for i in range(len(command) - 1):
                if command[i].endswith("pip") and command[i + 1] == "install":
                    out.append(command[i + 2:])
            command = []
    return out


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?message}, from `env`."""
    def one(match: re.Match[str]) -> str:
        name, operator, rest = match[1], match[2] or "", match[3] or ""
        if name in env:
            return env[name]
        assert operator.endswith("-"), f"${{{name}}} is required: {rest}"
        return rest

    return re.sub(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}", one, value)


def pins(name: str) -> dict[str, str]:
    """requirements/<name>.txt as {package (lower case): pinned version}."""
    found = {}
    for line in (ROOT / "requirements" / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.split("#", 1)[0].strip())
        if match:
            found[match[1].lower()] = match[2]
    return found


def all_pins() -> dict[str, str]:
    """Every pin of requirements/*.txt; a package pinned twice must be pinned alike."""
    merged: dict[str, str] = {}
    for path in sorted((ROOT / "requirements").glob("*.txt")):
        for package, version in pins(path.stem).items():
            assert merged.setdefault(package, version) == version, (path, package)
    return merged


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*\?=\s*(\S+)", (ROOT / "Makefile").read_text(encoding="utf-8"),
                      re.MULTILINE)
    assert match, f"Makefile: {name}"
    return match[1]


def project_version() -> str:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(pyproject["project"]["version"])


def load_yaml(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def endpoints_variables() -> set[str]:
    """The VAGVISAREN_ variables that Rasa's endpoints.yml reads (${…})."""
    text = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    return set(re.findall(r"\$\{(VAGVISAREN_[A-Z0-9_]+)\}", text))


def deploy_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.is_file())
