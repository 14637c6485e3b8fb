"""Who runs a command, for the audit row each kb action writes: `cli:<os user>`, as admin.

Whoever can run the CLI can reach the database, so the role is admin; the OS user tells one
operator from another in the audit log.
"""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import kb


def cli_actor() -> kb.Actor:
    import kb  # when the command runs: `istok --help` imports none of the service

    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return kb.Actor(name=f"cli:{user}", role="admin")
