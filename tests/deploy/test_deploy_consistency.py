"""deploy/ on paper, checked against the code. Nothing there can be built or run here (no
container daemon, no cluster), so this reads the Dockerfiles, the compose file and the Helm
values, and holds them to bot/settings.py, bot/stack.py, endpoints.yml, requirements/*.txt and
the Makefile: variable names, ports, versions, users, replicas and health-check URLs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from deploy_files import (
    DEPLOY,
    DOCKER,
    LEFT_OUT,
    VARIABLE,
    Stage,
    all_pins,
    deploy_files,
    dockerfile,
    endpoints_variables,
    interpolate,
    load_yaml,
    makefile_variable,
    pins,
    pip_installs,
    project_version,
    serving_chain,
)

from bot.matching.corpus import NLU_DIR
from bot.settings import ROOT, Settings
from bot.stack import MODEL, Ports, Stack

# Variables of the scaled stack (issue 14) that other work adds to bot/settings.py and to
# endpoints.yml at the same time as deploy/ uses them. They may be missing until they land;
# once one is there, the last test below fails until it is taken off this list, so the list
# only shrinks and any other unknown VAGVISAREN_ name fails at once.
PENDING_IN_SETTINGS: set[str] = set()
PENDING_IN_ENDPOINTS: set[str] = set()
# What each Dockerfile serves: its final stage's port and user, and the image's name.
ROLES = {"rasa": "rasa.Dockerfile", "actions": "actions.Dockerfile",
         "gateway": "gateway.Dockerfile"}
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
COMPOSE = DEPLOY / "compose.yaml"
HELM = DEPLOY / "helm"


def _settings_variables() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


def _stages(role: str) -> list[Stage]:
    return dockerfile(DOCKER / ROLES[role])


def _endpoints() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8")))


def _ports() -> dict[str, int]:
    ports = Ports.default()
    return {"rasa": ports.rasa, "actions": ports.actions, "gateway": ports.gateway}


def _compose() -> dict[str, Any]:
    """compose.yaml with its ${…} filled in as from deploy/.env (deploy/env.example's names)."""
    env = {"POSTGRES_PASSWORD": "pw", "VAGVISAREN_RASA_TOKEN": "token"}

    def filled(node: Any) -> Any:  # compose interpolates the parsed values, not the text
        if isinstance(node, dict):
            return {key: filled(value) for key, value in node.items()}
        if isinstance(node, list):
            return [filled(item) for item in node]
        return interpolate(node, env) if isinstance(node, str) else node

    return dict(filled(load_yaml(COMPOSE)[0]))


def _role(service: dict[str, Any]) -> str:
    build = service.get("build")
    if build:
        return next(r for r, f in ROLES.items() if build["dockerfile"] == f"deploy/docker/{f}")
    return str(service["image"]).split(":")[0]


def test_every_variable_in_deploy_is_a_setting_or_read_by_endpoints_yml() -> None:
    known = _settings_variables() | endpoints_variables()
    used = {name: path for path in deploy_files()
            for name in VARIABLE.findall(path.read_text(encoding="utf-8"))}
    unknown = {name: str(path.relative_to(ROOT)) for name, path in used.items()
               if name not in known | PENDING_IN_SETTINGS | PENDING_IN_ENDPOINTS}
    assert not unknown, f"not a field of bot/settings.py nor read by endpoints.yml: {unknown}"
    assert PENDING_IN_SETTINGS | PENDING_IN_ENDPOINTS <= set(used), "pending but unused"


def test_images_start_from_the_pythons_the_makefile_uses() -> None:
    rasa_python = makefile_variable("RASA_PYTHON_VERSION")
    app_python = makefile_variable("PYTHON311").removeprefix("python")
    for role in ROLES:
        stages = _stages(role)
        for stage in stages:
            if stage.base in {s.name for s in stages}:
                continue  # built on an earlier stage
            image, _, tag = stage.base.partition(":")
            assert image == "python" and tag.endswith("-slim"), (role, stage.base)
            version = tag.removesuffix("-slim")
            if role == "rasa":
                assert version == rasa_python, (role, stage.base)
            else:
                assert version.split(".")[:2] == app_python.split("."), (role, stage.base)
                assert len(version.split(".")) == 3, f"{role}: pin the patch release too"


def test_every_pip_install_takes_the_pins_of_requirements() -> None:
    pinned = all_pins()
    for role in ROLES:
        for stage in _stages(role):
            for words in pip_installs(stage):
                args = iter(words)
                for word in args:
                    if word in ("-r", "--requirement"):
                        path = next(args)
                        assert path == "/tmp/runtime.txt" or (ROOT / path).is_file(), path
                    elif word == "--index-url":
                        assert next(args) == TORCH_CPU_INDEX and words[-1].endswith("torch.txt")
                    else:  # a package named on the command line must carry its pin
                        package, _, version = word.partition("==")
                        assert pinned.get(package.lower()) == version, (role, word)


def test_the_images_that_serve_have_no_torch() -> None:
    """The action server's and the gateway's images install requirements/app.txt less
    sentence-transformers (which pulls torch) and nothing else. The package filtered out by
    name is still pinned there, so the filter cannot go stale unnoticed."""
    app = pins("app")
    assert LEFT_OUT in app and "torch" not in app
    for role in ("actions", "gateway"):
        chain = serving_chain(_stages(role))
        runs = " ".join(run for stage in chain for run in stage.all("RUN"))
        filtered = re.findall(r"grep -v '\^([\w.-]+)==' requirements/app.txt > /tmp/runtime.txt",
                              runs)
        assert filtered == [LEFT_OUT], role
        installs = [words for stage in chain for words in pip_installs(stage)]
        assert installs == [["-r", "/tmp/runtime.txt"]], (role, installs)


def test_images_run_as_one_numeric_non_root_user() -> None:
    gateway = next(d for d in load_yaml(DEPLOY / "kubernetes" / "gateway.yaml")
                   if d["kind"] == "Deployment")
    uid = gateway["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    for role in ROLES:
        user = _stages(role)[-1].last("USER")
        # Numeric, so that Kubernetes' runAsNonRoot can check it without /etc/passwd.
        assert user is not None and user.isdigit() and int(user) != 0, role
        assert int(user) == uid, f"{role}: the gateway's manifest runs as {uid}"


def test_images_listen_on_the_settings_ports_and_copy_what_exists() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for role, port in _ports().items():
        stages = _stages(role)
        final = stages[-1]
        assert final.all("EXPOSE") == [str(port)], role
        command = final.exec_form("ENTRYPOINT") + final.exec_form("CMD")
        assert command[command.index("--port") + 1] == str(port), role
        for stage in stages:
            for sources, _, origin in stage.copies():
                if origin is None:  # from the build context: must exist (or be built)
                    for source in sources:
                        built = (ROOT / source) == MODEL
                        assert built or (ROOT / source).exists(), (role, source)
                        assert source.split("/")[0] not in ignored, (role, source)
    # The Rasa image serves the model `make train` builds; the action server's matching model
    # is keyed by the knowledge base and the NLU data, so both go where it looks for them.
    rasa = _stages("rasa")[-1]
    assert any(MODEL.relative_to(ROOT).as_posix() in s for s, _, _ in rasa.copies())
    copied = {dest.rstrip("/") for _, dest, _ in _stages("actions")[-1].copies()}
    for needed in (NLU_DIR, Settings().knowledge_dir):
        assert needed.relative_to(ROOT).as_posix() in copied


def test_compose_has_two_rasa_two_actions_one_gateway_postgres_15_and_redis_7() -> None:
    replicas: dict[str, int] = {}
    images: dict[str, str] = {}
    for service in _compose()["services"].values():
        role = _role(service)
        replicas[role] = replicas.get(role, 0) + service.get("deploy", {}).get("replicas", 1)
        images[role] = service["image"]
    assert replicas == {"postgres": 1, "redis": 1, "rasa": 2, "actions": 2, "gateway": 1}
    assert images["postgres"] == "postgres:15" and images["redis"] == "redis:7"
    assert images["rasa"] == f"vagvisaren/rasa:{pins('rasa')['rasa']}"
    for role in ("actions", "gateway"):
        assert images[role] == f"vagvisaren/{role}:{project_version()}"


def test_compose_health_checks_ask_what_the_supervisor_asks(tmp_path: Path) -> None:
    stack = Stack(Ports.default(), tmp_path, token="TOKEN", host="127.0.0.1")
    for service in _compose()["services"].values():
        role = _role(service)
        check = " ".join(service["healthcheck"]["test"])
        if role in ROLES:
            url = stack.health_urls()[role].replace("TOKEN", "")
            assert f"'{url}'" in check, (role, check)


LOCK_STORE = ("VAGVISAREN_LOCK_STORE", "VAGVISAREN_REDIS_HOST", "VAGVISAREN_REDIS_PORT")


def test_compose_wires_the_services_on_the_settings_ports() -> None:
    services = _compose()["services"]
    by_role: dict[str, list[str]] = {}
    for name, service in services.items():
        by_role.setdefault(_role(service), []).append(name)
    ports = _ports()
    gateway = services[by_role["gateway"][0]]["environment"]
    rasa_urls = [urlsplit(u) for u in gateway["VAGVISAREN_RASA_URLS"].split(",")]
    assert sorted(u.hostname or "" for u in rasa_urls) == sorted(by_role["rasa"])
    assert {u.port for u in rasa_urls} == {ports["rasa"]}
    actions = urlsplit(gateway["VAGVISAREN_ACTION_SERVER_URL"])
    assert (actions.hostname, actions.port) == (by_role["actions"][0], ports["actions"])
    redis = urlsplit(gateway["VAGVISAREN_REDIS_URL"])
    assert services[by_role["gateway"][0]]["ports"] == [
        f"127.0.0.1:{ports['gateway']}:{ports['gateway']}"]
    postgres = services["postgres"]["environment"]
    for name in by_role["rasa"]:
        env = services[name]["environment"]
        assert env["VAGVISAREN_ACTION_URL"] == f"http://{actions.hostname}:{actions.port}/webhook"
        assert (env["VAGVISAREN_TRACKER_DIALECT"], env["VAGVISAREN_LOCK_STORE"]) == (
            "postgresql", "redis")
        assert env["VAGVISAREN_TRACKER_HOST"] == "postgres" and env["VAGVISAREN_TRACKER_PORT"] \
            == "5432"
        assert (env["VAGVISAREN_TRACKER_DB"], env["VAGVISAREN_TRACKER_USER"]) == (
            postgres["POSTGRES_DB"], postgres["POSTGRES_USER"])
        assert (env["VAGVISAREN_REDIS_HOST"], int(env["VAGVISAREN_REDIS_PORT"])) == (
            redis.hostname, redis.port)
        # The gateway's /healthz asks the same Redis as Rasa's lock store.
        assert {k: gateway[k] for k in LOCK_STORE} == {k: env[k] for k in LOCK_STORE}
        assert {"postgres", "redis"} <= set(services[name]["depends_on"])
    # SQLAlchemy 2.1 takes a bare postgresql:// for psycopg 3, which no image installs.
    assert gateway["VAGVISAREN_DATABASE_URL"].startswith("postgresql+psycopg2://")
    database = urlsplit(gateway["VAGVISAREN_DATABASE_URL"])
    assert (database.hostname, database.port, database.path) == (
        "postgres", 5432, f"/{postgres['POSTGRES_DB']}")
    # The event broker, which the summaries read: a database of its own, made by the init
    # script the postgres service mounts, the same for Rasa and the gateway.
    events = urlsplit(gateway["VAGVISAREN_BROKER_URL"])
    made = _initdb_databases(services["postgres"])
    for name in by_role["rasa"]:
        env = services[name]["environment"]
        assert (env["VAGVISAREN_BROKER_DIALECT"], env["VAGVISAREN_BROKER_HOST"],
                env["VAGVISAREN_BROKER_PORT"], env["VAGVISAREN_BROKER_USER"]) == (
            "postgresql", "postgres", "5432", postgres["POSTGRES_USER"])
        assert env["VAGVISAREN_BROKER_DB"] in made
        assert env["VAGVISAREN_BROKER_DB"] != env["VAGVISAREN_TRACKER_DB"]
        assert (events.hostname, events.port, events.path) == (
            "postgres", 5432, f"/{env['VAGVISAREN_BROKER_DB']}")
    # psycopg2 is the driver the images install; SQLAlchemy 2.1 takes postgresql:// for
    # psycopg 3.
    for variable in ("VAGVISAREN_DATABASE_URL", "VAGVISAREN_TRACKER_URL",
                     "VAGVISAREN_BROKER_URL"):
        assert urlsplit(gateway[variable]).scheme == "postgresql+psycopg2", variable
    assert "psycopg2-binary" in pins("app")


def _initdb_databases(postgres: dict[str, Any]) -> set[str]:
    """The databases the postgres service's init scripts make (its mounted initdb folder)."""
    mounts = [volume.split(":") for volume in postgres["volumes"]]
    folders = [DEPLOY / source for source, target, *_ in mounts
               if target == "/docker-entrypoint-initdb.d"]
    assert len(folders) == 1 and folders[0].is_dir(), mounts
    return {name for script in folders[0].glob("*.sql")
            for name in re.findall(r"CREATE DATABASE (\w+)", script.read_text(encoding="utf-8"))}


def test_docker_compose_accepts_the_file() -> None:
    """`docker compose config` (or the old `docker-compose config`) needs no daemon: run it
    where either is installed."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        if subprocess.run([*command, "version"], capture_output=True, timeout=30).returncode:
            continue
        env = {**os.environ, "POSTGRES_PASSWORD": "x", "VAGVISAREN_RASA_TOKEN": "x"}
        done = subprocess.run([*command, "-f", str(COMPOSE), "config", "--quiet"],
                              capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0, done.stderr
        return
    pytest.skip("neither `docker compose` nor `docker-compose` is installed here")


def test_helm_values_scale_rasa_on_postgresql_and_redis() -> None:
    rasa = load_yaml(HELM / "rasa-values.yaml")[0]
    actions = load_yaml(HELM / "action-server-values.yaml")[0]
    assert rasa["replicaCount"] == 2 and actions["replicaCount"] == 2
    endpoints = rasa["applicationSettings"]["endpoints"]
    tracker, lock = endpoints["trackerStore"], endpoints["lockStore"]
    assert (tracker["enabled"], tracker["type"], tracker["dialect"]) == (True, "sql", "postgresql")
    assert (lock["enabled"], lock["type"]) == (True, "redis")
    ours = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))["lock_store"]
    assert lock["socket_timeout"] == ours["socket_timeout"]
    # The gateway's /healthz asks the Redis that Rasa's lock store uses.
    gateway = next(d for d in load_yaml(DEPLOY / "kubernetes" / "gateway.yaml")
                   if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    gateway_env = {e["name"]: e.get("value") for e in gateway["env"]}
    rasa_env = {e["name"]: e.get("value") for e in rasa["extraEnv"]}
    assert gateway_env["VAGVISAREN_LOCK_STORE"] == lock["type"]
    assert {k: gateway_env[k] for k in LOCK_STORE[1:]} == {k: rasa_env[k] for k in LOCK_STORE[1:]}
    broker = endpoints["eventBroker"]
    assert (broker["enabled"], broker["type"], broker["dialect"]) == (True, "SQL", "postgresql")
    # The chart's default RabbitMQ `queues` would reach SQLEventBroker() and stop Rasa.
    assert "queues" in broker and broker["queues"] is None
    assert set(broker) - {"enabled"} == set(_endpoints()["event_broker"]) | {"queues"}
    assert rasa["postgresql"]["install"] is False and rasa["redis"]["install"] is False
    # Every ${…} the chart renders into endpoints.yml is in the container's environment.
    wanted = set(re.findall(r"\$\{(\w+)\}", yaml.safe_dump(endpoints)))
    assert wanted and wanted <= {variable["name"] for variable in rasa["extraEnv"]}
    # The chart's channels are the repository's credentials.yml.
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert rasa["applicationSettings"]["credentials"]["additionalChannelCredentials"] \
        == credentials
    # Its arguments serve the image's model on Rasa's port, with the chart's mounted files.
    args = rasa["args"]
    assert args[:2] == ["run", "--enable-api"] and rasa["applicationSettings"]["initialModel"] == ""
    assert args[args.index("--port") + 1] == str(Ports.default().rasa)
    workdir = _stages("rasa")[-1].last("WORKDIR")
    assert args[args.index("--model") + 1] == f"{workdir}/{MODEL.relative_to(ROOT).as_posix()}"
    assert args[args.index("--endpoints") + 1] == "/app/endpoints.yml"  # the chart mounts it
    assert actions["image"]["tag"] == project_version()


def test_pending_variables_are_taken_off_the_list_once_they_land() -> None:
    landed = (PENDING_IN_SETTINGS & _settings_variables()) | (
        PENDING_IN_ENDPOINTS & endpoints_variables())
    assert not landed, f"now in bot/settings.py or endpoints.yml: remove from PENDING: {landed}"
