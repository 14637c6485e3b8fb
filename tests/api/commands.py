"""`istok` commands run inside the test's process, as a finished subprocess would report them.

A command started as a process costs a second and a half of a core before it does anything
(the interpreter, then importing kb and the CLI); tests that give a command by command walk
through the store pay that dozens of times over. The same Typer app runs here instead, with
the environment the process would have had, and leaves nothing behind for the next command:
the process's engine, search index and answerers are dropped before and after. Starting the
installed `istok` script itself is tested in tests/api/test_cli_and_health.py.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping

import kb
from api import runtime
from api.cli import app
from tests.helpers import CliRunner


def _forget_the_store() -> None:
    kb.close_indexes()
    for cached in (runtime.index, runtime.engine, runtime.raw_engine):
        if cached.cache_info().currsize:
            if cached is not runtime.index:
                cached().dispose()
            cached.cache_clear()


def istok(args: list[str] | tuple[str, ...], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `istok ARGS` with exactly `env` as its environment; exit code, stdout and stderr as a process's."""
    changed = {name: value for name, value in env.items() if os.environ.get(name) != value}
    gone = [name for name in os.environ if name not in env]
    _forget_the_store()
    try:
        result = CliRunner().invoke(app, list(args), env={**changed, **dict.fromkeys(gone)})
    finally:
        _forget_the_store()
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"\n{type(result.exception).__name__}: {result.exception}"  # a process prints its traceback
    return subprocess.CompletedProcess(["istok", *args], result.exit_code, result.stdout, stderr)
