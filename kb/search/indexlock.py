"""The index lock file: whoosh writes to one index directory, one process at a time, per host.

A lock must never outlive the process that took it, and nobody may wait for it for ever:

* the lock is an `flock` on a file opened with O_CLOEXEC, so a program this process
  execs never holds it;
* a child forked while the lock is held (the rebuild's worker pool, whoosh's writer
  processes) closes its copy of the descriptor at once and gets SIGKILL when this
  process dies, so a `kill -9` of `istok reindex` frees the lock with it;
* taking the lock waits a bounded time, polling, so a signal such as SIGTERM is
  handled meanwhile; past the wait it raises `IndexBusy`, naming the lock file and,
  from /proc/locks and the pid written into the file, the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kb.errors import IstokError
from kb.search.loading import die_with_parent


class IndexBusy(IstokError):
    """Another process held the index lock for longer than the caller was willing to wait."""

    status = 503
    slug = "index-busy"

    def __init__(self, path: Path, holder: str, waited: float) -> None:
        super().__init__(f"the search index lock {path} is held by {holder}; gave up waiting after {waited:g} s")
        self.path = path
        self.holder = holder


# Descriptors of the index locks this process holds, for children forked meanwhile to close.
_held: set[int] = set()
_guard = threading.Lock()
_forking_parent = 0


def _before_fork() -> None:
    global _forking_parent
    _guard.acquire()  # no lock is half taken or half let go while the child is made
    _forking_parent = os.getpid()


def _after_fork_in_parent() -> None:
    _guard.release()


def _after_fork_in_child() -> None:
    global _guard
    _guard = threading.Lock()
    if not _held:
        return
    for fd in _held:
        with contextlib.suppress(OSError):
            os.close(fd)  # close, never LOCK_UN: that would free the parent's lock too
    _held.clear()
    die_with_parent(_forking_parent)


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def hold(path: Path, *, wait: float) -> Iterator[None]:
    """Hold the exclusive lock on `path` for the block; wait at most `wait` seconds for it.

    Raises IndexBusy when another process still holds it after `wait` seconds.
    """
    with _guard:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        _held.add(fd)
    try:
        _acquire(fd, path, wait)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # for a waiter's message
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        with _guard:
            _held.discard(fd)
            os.close(fd)


def _acquire(fd: int, path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    pause = 0.02
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise IndexBusy(path, holder(path), wait) from None
            time.sleep(min(pause, left))  # a signal handler runs here; a blocking flock would retry
            pause = min(pause * 2, 0.25)


def holder(path: Path) -> str:
    """Who holds the lock on `path`, as well as this host can tell: pid and command line."""
    pids = _flock_pids(path)
    with contextlib.suppress(OSError, ValueError):
        written = int(path.read_text(encoding="ascii").strip() or "0")
        if written and not pids:
            pids = [written]
    if not pids:
        return "another process (pid unknown)"
    return ", ".join(_describe(pid) for pid in pids)


def _flock_pids(path: Path) -> list[int]:
    """The pids /proc/locks names for an flock on `path`'s inode (Linux; empty elsewhere)."""
    try:
        inode = os.stat(path).st_ino
        lines = Path("/proc/locks").read_text(encoding="ascii").splitlines()
    except OSError:
        return []
    pids: list[int] = []
    for line in lines:
        parts = line.split()
        # "3: FLOCK  ADVISORY  WRITE 1234 00:2f:5678 0 EOF"; waiters carry a "->" after the number
        if len(parts) < 6 or parts[1] != "FLOCK":
            continue
        with contextlib.suppress(ValueError):
            if int(parts[5].rsplit(":", 1)[-1]) == inode and int(parts[4]) > 0:
                pids.append(int(parts[4]))
    return sorted(set(pids))


def _describe(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return f"pid {pid}, which is no longer running (a process it started still has the file open)"
    return f"pid {pid} ({command})" if command else f"pid {pid}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (zombies count as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state != "Z"
