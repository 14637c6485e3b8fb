"""The company's OpenID provider for the sign-in tests: node-oidc-provider, run by node (provider.mjs).

`running_provider()` starts it on a port the system picks, then `ready(redirect_uri)` tells it Istok's
callback (known once Istok runs) and waits until it serves. Without node or the npm package the test
skips on a developer's machine and fails under CI=true (`make install` fetches the package).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT, missing_tool

CONFIG = Path(__file__).with_name("provider.mjs")
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "istok"
CLIENT_SECRET = "istok-test-secret"
ROLES = "support-admins=admin,support-editors=editor"  # ISTOK_OIDC_ROLES for the accounts in provider.mjs


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen[str]
    log: Path

    def ready(self, redirect_uri: str, timeout: float = 30.0) -> None:
        """Register Istok's callback with the provider and wait until it serves."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"redirect {redirect_uri}\n")
        self.process.stdin.flush()
        _wait_for(self.log, re.compile(r"^ready$", re.M), self.process, timeout)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")


def _wait_for(log: Path, pattern: re.Pattern[str], process: subprocess.Popen[str], timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = pattern.search(log.read_text(encoding="utf-8"))
        if found:
            return found
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID provider exited: {log.read_text(encoding='utf-8')}")
        time.sleep(0.05)
    raise RuntimeError(f"the OpenID provider did not start: {log.read_text(encoding='utf-8')}")


@contextlib.contextmanager
def running_provider(workdir: Path) -> Iterator[RunningProvider]:
    node = shutil.which("node")
    if node is None:
        missing_tool("node is not installed (apt-get install nodejs)")
    if not PACKAGE.exists():
        missing_tool("oidc-provider is not in node_modules (make install)")
    log = workdir / "oidc-provider.log"
    env = {"PATH": "/usr/bin:/bin", "NODE_PATH": str(ROOT / "node_modules"), "NODE_ENV": "development"}
    env |= {"OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET}
    process = subprocess.Popen(
        [str(node), "--experimental-global-webcrypto", str(CONFIG)],  # jose's WebCrypto on Debian's Node 18 too
        cwd=ROOT,  # node resolves `oidc-provider` from ROOT/node_modules
        env=env,
        stdin=subprocess.PIPE,
        stdout=log.open("w", encoding="utf-8"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        found = _wait_for(log, re.compile(r"^issuer (http://127\.0\.0\.1:\d+)$", re.M), process, 30)
        yield RunningProvider(issuer=found.group(1), process=process, log=log)
    finally:
        process.terminate()
        process.wait(timeout=10)
