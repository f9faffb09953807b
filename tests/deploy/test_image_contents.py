"""What each Dockerfile COPYs is enough for its service: the files are laid out as in the
image's final stage (without the trained models), and the service's modules are imported
from there, not from this checkout. No image is built (no container daemon here); this
catches a module or data file that a COPY forgot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_files import DOCKER, Stage, dockerfile

from bot.settings import ROOT
from bot.stack import MODEL, RASA_PYTHON

# What each service imports when it starts, and what its probes run.
IMPORTS = {
    "gateway": ["bot.api.app", "bot.stack"],
    "actions": ["rasa_sdk", "bot.stack", "bot.matching.shared",
                *sorted(f"actions.{p.stem}" for p in (ROOT / "actions").glob("[a-z]*.py"))],
}
# Where the modules came from, and the matching model's key as computed in the tree.
REPORT = ("import sys; mods = sys.argv[1:]; [__import__(m) for m in mods]; "
          "print(*sorted({sys.modules[m].__file__.split('/' + m.split('.')[0] + '/')[0] "
          "for m in mods if m.startswith(('bot', 'actions'))}))")
# The data files bot/rasa_ext's components read when Rasa loads them.
RASA_DATA = ("from bot.gazetteer import load_gazetteer; from bot.labels import labels; "
             "load_gazetteer(); labels()")
KEY = ("from bot.knowledge.loader import load_knowledge; "
       "from bot.matching.build import model_key; print(model_key(load_knowledge()))")


def _tree(stage: Stage, into: Path) -> Path:
    """The stage's files from the build context, placed as its COPY instructions place them
    (a folder's contents into the destination; files into a destination ending in /)."""
    workdir = into / (stage.last("WORKDIR") or "/").lstrip("/")
    for sources, dest, origin in stage.copies():
        for source in sources:
            if origin is not None or ROOT / source == MODEL:
                continue  # built in another stage, or by `make train`
            target = workdir / dest
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__"))
                continue
            if dest.endswith("/"):
                target = target / Path(source).name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / source, target)
    return workdir


def _run(python: Path | str, code: str, cwd: Path, *args: str) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HF_HUB_OFFLINE": "1",
           "VAGVISAREN_VAR_DIR": str(cwd / "var"), "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run([str(python), "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


@pytest.mark.parametrize("role", sorted(IMPORTS))
def test_the_app_images_hold_what_their_service_imports(role: str, tmp_path: Path) -> None:
    tree = _tree(dockerfile(DOCKER / f"{role}.Dockerfile")[-1], tmp_path)
    # `python -m …` puts the working directory first on the path, as in the image.
    assert _run(sys.executable, REPORT, tree, *IMPORTS[role]) == str(tree)


def test_the_matching_model_built_in_the_image_is_up_to_date_where_it_runs(
        tmp_path: Path) -> None:
    """The first stage builds the model from its copies of the knowledge base and the NLU
    data; the final stage must compute the same key, or the action server would rebuild the
    model at start, which needs the torch that image leaves out."""
    stages = dockerfile(DOCKER / "actions.Dockerfile")
    builder = next(s for s in stages if s.name == "matching-model")
    keys = {_run(sys.executable, KEY, _tree(stage, tmp_path / name))
            for name, stage in (("builder", builder), ("final", stages[-1]))}
    assert keys == {_run(sys.executable, KEY, ROOT)}


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="no .venv-rasa here (make setup)")
def test_the_rasa_image_holds_its_custom_components(tmp_path: Path) -> None:
    import yaml

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    ours = sorted({c["name"].rsplit(".", 1)[0] for c in config["pipeline"] + config["policies"]
                   if c["name"].startswith("bot.")})
    tree = _tree(dockerfile(DOCKER / "rasa.Dockerfile")[-1], tmp_path)
    modules = ["bot.rasa_ext.__main__", *ours]
    assert ours and _run(RASA_PYTHON, REPORT, tree, *modules) == str(tree)
    _run(RASA_PYTHON, RASA_DATA, tree)
