"""A throwaway PostgreSQL server for the tests that need one.

The machine image carries Debian's PostgreSQL server binaries but runs no
server, so the tests start their own: a cluster in a temporary folder, on
127.0.0.1 and a free port, with durability switched off (nothing in it needs to
survive a crash, and fsync would dominate the run time), dropped at the end.
``STUDYBOT_TEST_POSTGRES_URL`` points the tests at an existing server instead;
its role needs CREATEDB, because every test gets a database of its own.

When no server can be had, a developer's run skips these tests with the reason,
but CI (``CI=true``) fails them: a CI run that silently skipped the PostgreSQL
tests would look green while testing nothing.

``python -m tests.postgres`` prints which server the tests will use, or exits 1
when there is none; ``.ci/run`` uses it to decide whether to install one.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.helpers import free_port

URL_VARIABLE = "STUDYBOT_TEST_POSTGRES_URL"
SUPERUSER = "studybot"
DATABASE = "studybot"
START_TIMEOUT_S = 60
"""Upper bound on waiting for a new server to accept connections; a healthy one
takes well under a second."""
SERVER_USER = "postgres"
"""Who runs initdb and the server when the tests run as root: PostgreSQL refuses
to run as root, and Debian's package creates this user."""
_TOOLS = ("initdb", "pg_ctl", "postgres")
# Settings for a server whose data is thrown away: no durability, no network
# beyond loopback, and the smallest footprint that still serves a test run.
_SETTINGS = """
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
shared_buffers = 32MB
"""


class PostgresUnavailable(Exception):
    """No PostgreSQL server can be started or reached for the tests."""


@dataclass(frozen=True, slots=True)
class ServerBinaries:
    bindir: Path
    version: str
    """What ``postgres --version`` says, e.g. ``postgres (PostgreSQL) 15.18 (Debian …)``."""

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def _candidate_dirs() -> Iterator[Path]:
    """Where server binaries may live, most authoritative first.

    ``pg_config --bindir`` can name a folder that holds only the client (Debian
    installs pg_config with the client package), so every candidate is checked
    for the server tools, and Debian's versioned layout is searched newest first.
    """
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        result = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False, timeout=30
        )
        if result.returncode == 0 and result.stdout.strip():
            yield Path(result.stdout.strip())
    versioned = Path("/usr/lib/postgresql").glob("*/bin")
    yield from sorted(versioned, key=_major_version, reverse=True)
    for tool in _TOOLS:
        found = shutil.which(tool)
        if found is not None:
            yield Path(found).resolve().parent


def _major_version(bindir: Path) -> int:
    name = bindir.parent.name
    return int(name) if name.isdigit() else -1


def find_server() -> ServerBinaries | None:
    """The first folder holding initdb, pg_ctl and postgres, with its version."""
    for bindir in _candidate_dirs():
        if all(os.access(bindir / tool, os.X_OK) for tool in _TOOLS):
            result = subprocess.run(
                [str(bindir / "postgres"), "--version"],
                capture_output=True,
                text=True,
                check=False,
                timeout=30,
            )
            if result.returncode == 0:
                return ServerBinaries(bindir, result.stdout.strip())
    return None


def _environment() -> dict[str, str]:
    """This process's environment without libpq's variables, which would
    otherwise steer initdb, pg_ctl and the client tools to another server."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _server_user() -> pwd.struct_passwd | None:
    """The account to run the server as: None when we are not root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root and there is no '{SERVER_USER}' user to run PostgreSQL as "
            "(installing Debian's postgresql package creates it)"
        ) from None


def _run(command: Sequence[str], owner: pwd.struct_passwd | None, cwd: Path) -> None:
    full = ["runuser", "-u", owner.pw_name, "--", *command] if owner else list(command)
    result = subprocess.run(
        full, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"{command[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout}"
        )


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text("utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _wait_until_ready(binaries: ServerBinaries, port: int) -> None:
    """Poll pg_isready over TCP until the server answers, for at most
    START_TIMEOUT_S; pg_ctl -w has usually waited already, so this returns at
    the first try."""
    deadline = time.monotonic() + START_TIMEOUT_S
    command = [binaries.tool("pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)]
    while True:
        ready = subprocess.run(command, env=_environment(), check=False, timeout=30)
        if ready.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise PostgresUnavailable(f"the server on port {port} never accepted connections")
        time.sleep(0.05)


def _scratch_dir() -> str | None:
    """Where to put the cluster: a memory-backed folder when there is one with
    room. On this machine's disk a CREATE DATABASE took about 0.4 s and a full
    migration 0.25 s; in /dev/shm they take about 0.03 s and 0.08 s, and every
    test makes a database of its own. None means the usual temporary folder."""
    shm = Path("/dev/shm")
    try:
        if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 1 << 30:
            return str(shm)
    except OSError:
        pass
    return None


@contextmanager
def throwaway_cluster(binaries: ServerBinaries, *, attempts: int = 3) -> Iterator[str]:
    """Start a new cluster in a temporary folder and yield the URL of a database
    in it; stop the server and delete the folder afterwards, whatever happened.

    The port is picked free just before the start; another process can still
    take it first, so a start that fails is retried on a new port a few times.
    """
    owner = _server_user()
    base = Path(tempfile.mkdtemp(prefix="studybot-pg-", dir=_scratch_dir()))
    data = base / "data"
    log_file = base / "server.log"
    try:
        if owner is not None:
            os.chown(base, owner.pw_uid, owner.pw_gid)
        _run(
            [
                binaries.tool("initdb"),
                "--pgdata",
                str(data),
                "--username",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            owner,
            base,
        )
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(_SETTINGS + f"unix_socket_directories = '{base}'\n")
        for attempt in range(1, attempts + 1):
            port = free_port()
            start = [binaries.tool("pg_ctl"), "--pgdata", str(data), "--log", str(log_file)]
            start += ["--wait", f"--timeout={START_TIMEOUT_S}", "-o", f"-p {port}", "start"]
            try:
                _run(start, owner, base)
            except PostgresUnavailable as exc:
                if attempt == attempts:
                    raise PostgresUnavailable(f"{exc}\nserver log:\n{_tail(log_file)}") from None
                continue
            break
        _wait_until_ready(binaries, port)
        _run(
            [
                binaries.tool("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                SUPERUSER,
                DATABASE,
            ],
            None,
            base,
        )
        yield f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}"
    finally:
        try:
            # Also after a start that timed out: the server may be up all the same.
            if (data / "postmaster.pid").exists():
                stop = [binaries.tool("pg_ctl"), "--pgdata", str(data), "--mode=fast", "--wait"]
                _run([*stop, "stop"], owner, base)
        finally:
            shutil.rmtree(base, ignore_errors=True)


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine, fail in CI, where a skip would hide that
    the PostgreSQL tests never ran."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL for the tests: {reason}")


@contextmanager
def postgres_for_tests() -> Iterator[str]:
    """The URL of a database the tests may create databases next to: the one in
    STUDYBOT_TEST_POSTGRES_URL, or one in a throwaway cluster."""
    configured = os.environ.get(URL_VARIABLE)
    if configured:
        yield configured
        return
    binaries = find_server()
    if binaries is None:
        unavailable(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) were found via "
            "pg_config or in /usr/lib/postgresql/*/bin; install Debian's postgresql package "
            f"or set {URL_VARIABLE}"
        )
    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_cluster(binaries))
        except PostgresUnavailable as exc:
            unavailable(str(exc))
        yield url


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


_NAME = re.compile(r"^[a-z0-9_]+$")


@asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """Create an empty database next to ``server_url``'s, yield its URL, and
    drop it afterwards (with any connection a test left open), so every test
    starts from nothing and no test sees another's tables."""
    name = f"studybot_t_{uuid.uuid4().hex[:16]}"
    assert _NAME.match(name)  # an identifier cannot be a parameter; this one is ours
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(server_url, name)
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def main() -> int:
    if os.environ.get(URL_VARIABLE):
        print(f"PostgreSQL for the tests: the server in {URL_VARIABLE}")
        return 0
    binaries = find_server()
    if binaries is None:
        print("PostgreSQL for the tests: no server binaries found", file=sys.stderr)
        return 1
    print(f"PostgreSQL for the tests: {binaries.version} from {binaries.bindir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


TEMPLATE = "studybot_t_template"
"""A database migrated once per run; each store test's database is a copy."""


async def make_template(server_url: str) -> None:
    """Create and migrate :data:`TEMPLATE`, replacing one a crashed run left."""
    from bot.storage.pg.migrate import apply_pg_migrations

    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(with_database(server_url, TEMPLATE))
    try:
        await apply_pg_migrations(conn)
    finally:
        await conn.close()


async def create_copy(server_url: str) -> str:
    """A new database copied from :data:`TEMPLATE`; returns its URL. Copying
    is several times faster than running the migrations again."""
    name = f"studybot_t_{uuid.uuid4().hex[:16]}"
    assert _NAME.match(name)
    await _as_admin(server_url, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    return with_database(server_url, name)


async def drop(server_url: str, url: str) -> None:
    """Drop the database at ``url``, with any connection a test left open."""
    name = urlsplit(url).path.lstrip("/")
    assert _NAME.match(name)
    await _as_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _as_admin(server_url: str, statement: str) -> None:
    """One statement on its own connection (CREATE/DROP DATABASE cannot run
    inside a transaction or on the database they name)."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@contextmanager
def server_for(purpose: str) -> Iterator[str]:
    """For a benchmark: the server of ``STUDYBOT_TEST_POSTGRES_URL``, or a
    throwaway one; exits naming ``purpose`` and what to install when neither."""
    configured = os.environ.get(URL_VARIABLE)
    if configured:
        yield configured
        return
    binaries = find_server()
    if binaries is None:
        raise SystemExit(
            f"{purpose} needs PostgreSQL: install Debian's postgresql package "
            f"(server binaries) or set {URL_VARIABLE}"
        )
    with throwaway_cluster(binaries) as url:
        yield url
