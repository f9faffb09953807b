"""PostgreSQL and Redis as local processes for the scaled stack, their data under var/.

`make run-scaled` (bot/scaled.py) starts them before Rasa: PostgreSQL holds Rasa's SQL tracker
store and, in a second database, its SQL event broker (which the summaries read); Redis holds
Rasa's lock store. Both listen on 127.0.0.1
only, on ports of their own (not 5432/6379, so that a system-wide server is no obstacle).

- PostgreSQL: `initdb` once into var/postgres (superuser `vagvisaren`, a random password kept
  in var/postgres-password, mode 0600), then `pg_ctl start`, its Unix socket in
  var/postgres-run (mode 0700: only its own user reaches it, so the socket trusts that user;
  everything else connects over TCP with the password). PostgreSQL refuses to run as root,
  so as root it runs as Debian's unprivileged `postgres` user (runuser), which owns those two
  folders and nothing else.
- Redis: `redis-server` with no persistence at all (no RDB snapshot, no AOF): the lock store
  holds a conversation's lock for the seconds of one turn, and a lock lost with a restart is
  one nobody holds any more.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_OS_USER = "postgres"  # Debian's package makes it; used only when we are root
PG_USER = "vagvisaren"
PG_DB = "vagvisaren"
# Rasa's SQL event broker, which the summaries read: a database of its own, since its table is
# called `events` like the tracker store's. Rasa makes the table, not the database: start() does.
PG_EVENTS_DB = "vagvisaren_events"

# endpoints.yml reads these (Rasa refuses a missing variable): SQLite and the in-memory lock
# store unless they are set. SQLite takes no host, user or port; "0" is SQLAlchemy's "none".
ENDPOINT_DEFAULTS = {
    "VAGVISAREN_TRACKER_DIALECT": "sqlite",
    "VAGVISAREN_TRACKER_HOST": "",
    "VAGVISAREN_TRACKER_PORT": "0",
    "VAGVISAREN_TRACKER_USER": "",
    "VAGVISAREN_TRACKER_PASSWORD": "",
    "VAGVISAREN_BROKER_DIALECT": "sqlite",
    "VAGVISAREN_BROKER_HOST": "",
    "VAGVISAREN_BROKER_PORT": "0",
    "VAGVISAREN_BROKER_USER": "",
    "VAGVISAREN_BROKER_PASSWORD": "",
    "VAGVISAREN_LOCK_STORE": "in_memory",
    "VAGVISAREN_REDIS_HOST": "127.0.0.1",
    "VAGVISAREN_REDIS_PORT": "6379",
}


class LocalServiceError(RuntimeError):
    """A local PostgreSQL or Redis could not be set up or started; the message says why."""


def _wait_port(port: int, timeout_s: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise LocalServiceError(f"{what} is not listening on 127.0.0.1:{port} after "
                                        f"{timeout_s:.0f} s; see {log}") from None
            time.sleep(0.2)


@dataclass
class Postgres:
    """One PostgreSQL cluster under `var_dir`, served on 127.0.0.1:`port`."""

    var_dir: Path
    port: int = 5433
    bin_dir: Path = PG_BIN

    @property
    def data_dir(self) -> Path:
        return self.var_dir / "postgres"

    @property
    def socket_dir(self) -> Path:
        return self.var_dir / "postgres-run"

    @property
    def log(self) -> Path:
        return self.var_dir / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.var_dir / "postgres-password"

    @staticmethod
    def installed(bin_dir: Path = PG_BIN) -> bool:
        return (bin_dir / "pg_ctl").is_file() and (bin_dir / "initdb").is_file()

    def password(self) -> str:
        """The `vagvisaren` role's password, made at the first start (mode 0600)."""
        if not self.password_file.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_urlsafe(24) + "\n")
        return self.password_file.read_text(encoding="ascii").strip()

    def url(self, driver: str = "postgresql", database: str = PG_DB) -> str:
        """The SQLAlchemy URL of a database (driver `postgresql+psycopg2` and the like)."""
        return f"{driver}://{PG_USER}:{self.password()}@127.0.0.1:{self.port}/{database}"

    def endpoint_env(self) -> dict[str, str]:
        """endpoints.yml's tracker-store and event-broker variables, for Rasa on this
        cluster: the tracker store in `vagvisaren`, the broker in `vagvisaren_events`."""
        env = {}
        for prefix, database in (("TRACKER", PG_DB), ("BROKER", PG_EVENTS_DB)):
            env.update({f"VAGVISAREN_{prefix}_DIALECT": "postgresql",
                        f"VAGVISAREN_{prefix}_HOST": "127.0.0.1",
                        f"VAGVISAREN_{prefix}_PORT": str(self.port),
                        f"VAGVISAREN_{prefix}_DB": database,
                        f"VAGVISAREN_{prefix}_USER": PG_USER,
                        f"VAGVISAREN_{prefix}_PASSWORD": self.password()})
        return env

    def _as_owner(self, *command: str | Path) -> list[str]:
        """The command, run as the unprivileged `postgres` user when we are root."""
        argv = [str(part) for part in command]
        return ["runuser", "-u", PG_OS_USER, "--", *argv] if os.geteuid() == 0 else argv

    def _run(self, *command: str | Path, stdin: str | None = None) -> str:
        done = subprocess.run(self._as_owner(*command), capture_output=True, text=True,
                              check=False, cwd="/", input=stdin)
        if done.returncode != 0:
            raise LocalServiceError(f"{Path(str(command[0])).name} failed "
                                    f"({done.returncode}): {done.stderr.strip()[-2000:]}")
        return done.stdout

    def _own(self, *paths: Path) -> None:
        for path in paths:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.chmod(0o700)
            if os.geteuid() == 0:
                try:
                    owner = pwd.getpwnam(PG_OS_USER)
                except KeyError:
                    raise LocalServiceError(
                        f"PostgreSQL refuses to run as root, and there is no '{PG_OS_USER}' "
                        "user to run it as: install Debian's postgresql package") from None
                shutil.chown(path, owner.pw_uid, owner.pw_gid)

    def running(self) -> bool:
        done = subprocess.run(self._as_owner(self.bin_dir / "pg_ctl", "status", "-D",
                                             self.data_dir), capture_output=True, check=False)
        return done.returncode == 0

    def start(self, timeout_s: float = 60.0) -> None:
        """initdb when there is no cluster yet, start it, and make the two databases if missing."""
        if not self.installed(self.bin_dir):
            raise LocalServiceError(f"PostgreSQL is not installed (no {self.bin_dir}/pg_ctl): "
                                    "`make run-scaled` installs Debian's postgresql")
        self._own(self.data_dir, self.socket_dir)
        self.log.touch()
        if os.geteuid() == 0:
            shutil.chown(self.log, PG_OS_USER)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(self.bin_dir / "initdb", "-D", self.data_dir, "-U", PG_USER,
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                      "--locale=C.UTF-8")
        if not self.running():
            options = (f"-p {self.port} -h 127.0.0.1 -k {self.socket_dir} "
                       "-c shared_buffers=32MB -c max_connections=200")
            self._run(self.bin_dir / "pg_ctl", "start", "-w", "-t", str(int(timeout_s)),
                      "-D", self.data_dir, "-l", self.log, "-o", options)
        _wait_port(self.port, timeout_s, "PostgreSQL", self.log)
        self._psql(f"ALTER ROLE {PG_USER} PASSWORD '{self.password()}'")
        for database in (PG_DB, PG_EVENTS_DB):
            if self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'").strip() \
                    != "1":
                self._psql(f"CREATE DATABASE {database}")

    def _psql(self, statement: str) -> str:
        """One statement over the trusted Unix socket, as the cluster's own user. It goes in on
        stdin, not in argv, where `ps` would show the password of `ALTER ROLE` to every user."""
        return self._run(self.bin_dir / "psql", "-h", self.socket_dir, "-p", str(self.port),
                         "-U", PG_USER, "-d", "postgres", "-tAq", "-v", "ON_ERROR_STOP=1",
                         stdin=statement + ";\n")

    def stop(self) -> None:
        if self.installed(self.bin_dir) and self.data_dir.exists() and self.running():
            self._run(self.bin_dir / "pg_ctl", "stop", "-D", self.data_dir, "-m", "fast", "-w")


@dataclass
class Redis:
    """One redis-server for the lock store, on 127.0.0.1:`port`, its files in var/redis."""

    var_dir: Path
    port: int = 6380
    binary: str = "redis-server"

    @property
    def dir(self) -> Path:
        return self.var_dir / "redis"

    @property
    def log(self) -> Path:
        return self.dir / "redis.log"

    @staticmethod
    def installed(binary: str = "redis-server") -> bool:
        return shutil.which(binary) is not None

    def endpoint_env(self) -> dict[str, str]:
        """endpoints.yml's lock-store variables, for Rasa on this server."""
        return {"VAGVISAREN_LOCK_STORE": "redis", "VAGVISAREN_REDIS_HOST": "127.0.0.1",
                "VAGVISAREN_REDIS_PORT": str(self.port)}

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout_s: float = 30.0) -> None:
        if not self.installed(self.binary):
            raise LocalServiceError("redis-server is not installed: `make run-scaled` "
                                    "installs Debian's redis-server")
        if self.ping():
            return
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        subprocess.run(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             str(self.dir), "--save", "", "--appendonly", "no", "--daemonize", "yes",
             "--pidfile", str(self.dir / "redis.pid"), "--logfile", str(self.log)],
            check=True, capture_output=True)
        _wait_port(self.port, timeout_s, "Redis", self.log)
        deadline = time.monotonic() + timeout_s
        while not self.ping():
            if time.monotonic() > deadline:
                raise LocalServiceError(f"Redis does not answer PING; see {self.log}")
            time.sleep(0.2)

    def stop(self) -> None:
        """SHUTDOWN NOSAVE: there is nothing to keep."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2.0) as conn:
                conn.sendall(b"SHUTDOWN NOSAVE\r\n")
                conn.recv(64)
        except OSError:
            return
        deadline = time.monotonic() + 10
        while self.ping() and time.monotonic() < deadline:
            time.sleep(0.1)
