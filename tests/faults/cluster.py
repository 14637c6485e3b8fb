"""A throw-away PostgreSQL cluster of a test's own: `initdb` into a temporary folder, a free port.

Fault tests stop and start it under load, which they must never do to the shared server at
127.0.0.1:5432. PostgreSQL refuses to run as root, so when the tests run as root the cluster's
folder is handed to the `postgres` user and its binaries run as that user (`runuser`).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import missing_tool

#: Where Debian keeps the server's binaries (one folder per major version; the newest wins).
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def pg_bin() -> Path:
    """The folder holding `initdb` and `pg_ctl`; skips (fails under CI=true) when there is none."""
    found = [Path(p) for p in glob.glob(PG_BIN_GLOB) if (Path(p) / "initdb").exists()]
    if not found and shutil.which("initdb"):
        found = [Path(str(shutil.which("initdb"))).parent]
    if not found:
        missing_tool("PostgreSQL's initdb is not installed (apt-get install postgresql)")
    return sorted(found, key=lambda p: _version(p.parent.name))[-1]


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


@dataclass
class Cluster:
    """One PostgreSQL server on 127.0.0.1:`port` whose data lives in `folder`."""

    folder: Path
    port: int
    bin: Path

    @property
    def url(self) -> str:
        """The server's address for SQLAlchemy, without a database name."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def init(self) -> None:
        """Create the cluster (trust authentication, UTF-8, listening on 127.0.0.1 only)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _hand_over(self.folder)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        settings = (
            f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.folder}'\n"
            "fsync = off\nmax_connections = 100\nshared_buffers = 32MB\n"
        )
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(settings)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: every session is ended at once, as on a restart)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        status = self._run("pg_ctl", "-D", str(self.data), "status", check=False)
        return status.returncode == 0

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if check and done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stdout}{done.stderr}\n{self.log()[-2000:]}")
        return done


def _hand_over(folder: Path) -> None:
    """As root, give `folder` (and the folders above it, for traversal) to the postgres user."""
    if os.geteuid() != 0:
        return
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        missing_tool("no `postgres` user to run a throw-away PostgreSQL cluster as (tests run as root)")
        return
    os.chown(folder, owner.pw_uid, owner.pw_gid)
    for parent in folder.parents:
        if parent == Path("/"):
            break
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)  # search only: postgres may pass through, not list
