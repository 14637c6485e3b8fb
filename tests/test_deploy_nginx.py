"""deploy/ as users run it: two `istok serve` replicas over one database behind a real nginx.

nginx runs `deploy/nginx/istok.conf` itself, with only the upstream `server` lines and the `listen`
lines changed, inside a small nginx.conf of the test's own (pid, logs and temporary files in a
folder of its own), so the file that ships is the file tested. Each replica is started the way
`istok@.service` starts it (`istok serve --host 127.0.0.1 --workers 2`), but on a port the system
picks (ISTOK_PORT=0) and with a data folder of its own, as on two hosts. The systemd units are
checked by `systemd-analyze verify` where the machine has it, and the example settings files are
checked against the settings the code reads.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import kb
from tests.api.conftest import free_port, make_keys, migrated_database
from tests.conftest import ROOT, missing_tool
from tests.helpers import article

DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "istok.conf"
#: The lines the test may change in the shipped site file: the upstream's servers and the listen lines.
_SERVER_LINE = re.compile(r"^(\s*)server\s+[^\s{;]+([^;]*);\s*$")
_LISTEN_LINE = re.compile(r"^(\s*)listen\s+[^;]+;\s*$")
#: A line of the replica's access log: `INFO:     127.0.0.2:0 - "GET /healthz?probe=… HTTP/1.1" 200 OK`.
_ACCESS = re.compile(r'(\S+):\d+ - "(\w+) (\S+) HTTP/[\d.]+" (\d{3})')
#: uvicorn's line naming the port it bound (the unit names a port; the test lets the system pick one).
_BOUND = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")
CLIENT_ADDRESS = "127.0.0.2"  # the test's own address towards nginx; nginx itself reaches the replicas from 127.0.0.1


@dataclass
class Replica:
    """One `istok serve` process group and its log."""

    name: str
    proc: subprocess.Popen[bytes]
    base: str
    log: Path

    def requests(self) -> list[tuple[str, str, str, int]]:
        """(client address, method, path, status) for every request this replica logged."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [(m[1], m[2], m[3], int(m[4])) for m in _ACCESS.finditer(text)]

    def kill(self) -> None:
        """SIGKILL to the whole process group (supervisor and workers), as systemd's cgroup kill does."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=15)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)


@dataclass
class Cluster:
    """Two replicas, the nginx in front of them, and a key per role."""

    replicas: list[Replica]
    nginx: str  # http://127.0.0.1:<port>
    folder: Path
    db_url: str
    keys: dict[str, str]

    def client(self, role: str | None = None, *, base: str | None = None, **headers: str) -> httpx.Client:
        """A client of nginx (or of `base`) that connects from CLIENT_ADDRESS."""
        auth = {"Authorization": f"Bearer {self.keys[role]}"} if role else {}
        return httpx.Client(
            base_url=base or self.nginx,
            headers={**auth, **headers},
            timeout=30,
            transport=httpx.HTTPTransport(local_address=CLIENT_ADDRESS),
        )


def site_config(shipped: str, *, upstreams: list[str], listen: str) -> str:
    """The shipped site file with the upstream's servers and the listen address replaced; nothing else."""
    out: list[str] = []
    servers_done = listen_done = False
    for line in shipped.splitlines():
        server = _SERVER_LINE.match(line)
        if server:
            if not servers_done:  # one line per replica, with the shipped line's parameters
                out.extend(f"{server[1]}server {address}{server[2]};" for address in upstreams)
                servers_done = True
            continue
        listening = _LISTEN_LINE.match(line)
        if listening:
            if not listen_done:
                out.append(f"{listening[1]}listen {listen};")
                listen_done = True
            continue
        out.append(line)
    assert servers_done and listen_done, "deploy/nginx/istok.conf has no upstream server line or no listen line"
    return "\n".join(out) + "\n"


def _unchanged_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not (_SERVER_LINE.match(line) or _LISTEN_LINE.match(line))]


def main_config(folder: Path, site: Path) -> str:
    """The test's stand-in for Debian's /etc/nginx/nginx.conf: everything in `folder`, then the site."""
    who = pwd.getpwuid(os.getuid()).pw_name
    mime = Path("/etc/nginx/mime.types")
    return "\n".join(
        [
            "daemon off;",
            "worker_processes 1;",
            # Only a root master switches its workers to another user; keep ours (the temp files are ours).
            f"user {who};" if os.geteuid() == 0 else "",
            f"pid {folder / 'nginx.pid'};",
            f"error_log {folder / 'error.log'} warn;",
            "events { worker_connections 256; }",
            "http {",
            f"    include {mime};" if mime.exists() else "",
            "    default_type application/octet-stream;",
            "    log_format upstreams '$remote_addr \"$request\" $status $upstream_addr';",
            f"    access_log {folder / 'access.log'} upstreams;",
            *(
                f"    {kind}_temp_path {folder / kind};"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            ),
            f"    include {site};",
            "}",
            "",
        ]
    )


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    """Debian's nginx (apt-get install nginx); `.ci/run` installs it."""
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if path is None:
        missing_tool("nginx is not installed (apt-get install nginx)")
    return path or ""


def _launch_replica(name: str, db_url: str, data_dir: Path, env: dict[str, str]) -> Replica:
    """`istok serve` as istok@.service runs it, but on a port the system picks (ISTOK_PORT=0)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    istok = Path(sys.executable).with_name("istok")
    command = [str(istok)] if istok.exists() else [sys.executable, "-m", "api.cli"]
    log = data_dir / "serve.log"
    environ = {**os.environ, **env, "ISTOK_DATABASE_URL": db_url, "ISTOK_DATA_DIR": str(data_dir), "ISTOK_PORT": "0"}
    proc = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--workers", "2"],
        env=environ,
        cwd=data_dir,  # WorkingDirectory=/var/lib/istok: nothing may depend on running from the checkout
        stdout=log.open("w", encoding="utf-8"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so that a kill takes the workers too
    )
    return Replica(name=name, proc=proc, base="", log=log)


def _wait_ready(replica: Replica) -> None:
    """Until both workers answer with the semantic evidence loaded, so timings are not the warm-up's."""
    deadline = time.monotonic() + 180
    warm = 0
    while time.monotonic() < deadline and warm < 6:
        if replica.proc.poll() is not None:
            raise RuntimeError(f"replica {replica.name} exited: {replica.log.read_text(encoding='utf-8')}")
        bound = _BOUND.search(replica.log.read_text(encoding="utf-8"))
        if bound:
            replica.base = bound[1]
            try:
                health = httpx.get(f"{replica.base}/healthz", timeout=10).json()
                warming = health.get("semantic", {}).get("detail", "").startswith("warming")
                warm = 0 if warming else warm + 1
            except httpx.TransportError:
                warm = 0
        time.sleep(0.2)
    if warm < 6:
        replica.kill()
        raise RuntimeError(f"replica {replica.name} was not ready in 180 s: {replica.log.read_text(encoding='utf-8')}")


def _start_nginx(binary: str, folder: Path, upstreams: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """nginx on a free 127.0.0.1 port; another try on another port if that one was taken meanwhile."""
    site = folder / "istok.conf"
    conf = folder / "nginx.conf"
    for _ in range(5):
        port = free_port()
        site.write_text(site_config(SITE.read_text(encoding="utf-8"), upstreams=upstreams, listen=f"127.0.0.1:{port}"))
        conf.write_text(main_config(folder, site))
        checked = subprocess.run(
            [binary, "-t", "-p", f"{folder}/", "-c", str(conf), "-e", str(folder / "error.log")],
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 0, checked.stderr
        out = (folder / "nginx.out").open("w", encoding="utf-8")
        proc = subprocess.Popen(
            [binary, "-p", f"{folder}/", "-c", str(conf), "-e", str(folder / "error.log")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return proc, f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.05)
        errors = (folder / "error.log").read_text(encoding="utf-8") + (folder / "nginx.out").read_text(encoding="utf-8")
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if "Address already in use" not in errors:
            raise RuntimeError(f"nginx did not start: {errors}")
    raise RuntimeError("nginx found no free port in 5 tries")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def cluster(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    nginx_binary: str,
) -> Iterator[Cluster]:
    """Two replicas over one database (sample content published) with the shared settings, and nginx."""
    folder = tmp_path_factory.mktemp("deploy")
    with migrated_database(request.param, folder, sqlite_template, prefix="istok_deploy") as db_url:
        engine = kb.make_engine(db_url)
        kb.import_paths([ROOT / "content"], engine=engine, publish=True)
        engine.dispose()
        # What istok.env.example says every replica must share (the database is passed on its own).
        shared = {"ISTOK_SECRET_KEY": secrets.token_urlsafe(32)}
        replicas: list[Replica] = []
        nginx: subprocess.Popen[bytes] | None = None
        try:
            replicas.extend(_launch_replica(name, db_url, folder / name, shared) for name in ("a", "b"))
            for replica in replicas:
                _wait_ready(replica)
            upstreams = [r.base.removeprefix("http://") for r in replicas]
            (folder / "nginx").mkdir()
            nginx, base = _start_nginx(nginx_binary, folder / "nginx", upstreams)
            yield Cluster(replicas=replicas, nginx=base, folder=folder / "nginx", db_url=db_url, keys=make_keys(db_url))
        finally:
            if nginx is not None:
                nginx.terminate()
                nginx.wait(timeout=15)
            for replica in replicas:
                replica.stop()


def _probe_counts(cluster: Cluster, tag: str) -> list[int]:
    return [sum(1 for _, _, path, _ in r.requests() if f"probe={tag}-" in path) for r in cluster.replicas]


def test_the_shipped_site_file_is_what_nginx_runs() -> None:
    shipped = SITE.read_text(encoding="utf-8")
    made = site_config(shipped, upstreams=["127.0.0.1:1111", "127.0.0.1:2222"], listen="127.0.0.1:3333")
    assert _unchanged_lines(made) == _unchanged_lines(shipped)  # only server and listen lines differ
    assert "server 127.0.0.1:1111 max_fails=3 fail_timeout=10s;" in made and "listen 127.0.0.1:3333;" in made
    assert "listen 80;" not in made and "127.0.0.1:8001" not in made


def test_requests_through_nginx_reach_both_replicas_once_each(cluster: Cluster) -> None:
    tag = uuid.uuid4().hex[:8]
    with cluster.client() as c:
        statuses = [c.get("/healthz", params={"probe": f"{tag}-{n}"}).status_code for n in range(40)]
    assert statuses == [200] * 40
    time.sleep(0.5)  # the access log line is written as the response goes out
    counts = _probe_counts(cluster, tag)
    assert sum(counts) == 40, counts  # every request reached exactly one replica: none lost, none repeated
    assert min(counts) >= 5, counts  # and both replicas had a fair share of them
    for base in [cluster.nginx, *(r.base for r in cluster.replicas)]:  # what a rolling upgrade checks
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 200
    with cluster.client() as c:  # the metrics only from nginx's own host; the test is 127.0.0.2
        assert c.get("/metrics").status_code == 403
    assert httpx.get(f"{cluster.nginx}/metrics", timeout=10).status_code == 200


def test_the_app_sees_the_client_address_nginx_forwarded_not_a_forged_one(cluster: Cluster) -> None:
    key = f"deploy-{uuid.uuid4().hex[:8]}"
    forged = {"X-Forwarded-For": "203.0.113.7"}
    with cluster.client("editor", **{"If-None-Match": "*", **forged}) as c:
        created = c.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key), "message": "new"})
        assert created.status_code == 201, created.text
    with cluster.client("admin") as c:
        items = c.get("/api/v1/audit", params={"limit": 50}).json()["items"]
    [row] = [i for i in items if i["target"] == f"en/{key}" and i["action"] == "article.save"]
    # nginx connects from 127.0.0.1 and names the client it saw; the client's own claim is dropped.
    assert row["client"] == CLIENT_ADDRESS
    logged = {addr for r in cluster.replicas for addr, method, path, _ in r.requests() if path.endswith(key)}
    assert logged == {CLIENT_ADDRESS}


def test_a_replica_asked_directly_by_a_non_proxy_keeps_the_real_address(cluster: Cluster) -> None:
    """X-Forwarded-For counts only from the proxy's address: a client elsewhere cannot choose its own."""
    key = f"deploy-{uuid.uuid4().hex[:8]}"
    with cluster.client(
        "editor", base=cluster.replicas[0].base, **{"If-None-Match": "*", "X-Forwarded-For": "203.0.113.7"}
    ) as c:
        assert c.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key)}).status_code == 201
    with cluster.client("admin") as c:
        items = c.get("/api/v1/audit", params={"limit": 50}).json()["items"]
    assert [i["client"] for i in items if i["target"] == f"en/{key}"] == [CLIENT_ADDRESS]


def test_a_sign_in_through_nginx_holds_on_every_replica(cluster: Cluster) -> None:
    """The sign-in form, the sign-in and the pages after it land on both replicas: the shared key signs them all."""
    username, password = f"ed-{uuid.uuid4().hex[:8]}", "a-long-password-1"
    engine = kb.make_engine(cluster.db_url)
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username=username, password=password, role="editor", actor="test")
    engine.dispose()
    tag = uuid.uuid4().hex[:8]
    with cluster.client() as c:
        form = c.get("/login", params={"probe": f"{tag}-form"})
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        done = c.post(
            "/login", params={"probe": f"{tag}-in"}, data={"username": username, "password": password, "csrf": token[1]}
        )
        assert done.status_code == 303, done.text
        pages = [c.get("/admin", params={"probe": f"{tag}-{n}"}).status_code for n in range(8)]
    assert pages == [200] * 8
    assert min(_probe_counts(cluster, tag)) >= 2  # both replicas took part


def test_gzip_keeps_etags_usable_and_static_files_keep_their_long_cache(cluster: Cluster) -> None:
    key = f"deploy-{uuid.uuid4().hex[:8]}"
    long_body = "\n\n".join(f"Paragraph {n}: dial the code and press call to hear the balance." for n in range(60))
    with cluster.client("editor", **{"If-None-Match": "*"}) as c:
        assert c.put(f"/api/v1/articles/en/{key}", json={"source": article(key=key, body=long_body)}).status_code == 201
    with cluster.client("editor") as c:
        raw = c.build_request("GET", f"/api/v1/articles/en/{key}", headers={"Accept-Encoding": "gzip"})
        got = c.send(raw)
        assert got.headers["content-encoding"] == "gzip" and got.headers["vary"].lower().count("accept-encoding")
        assert got.json()["key"] == key  # httpx decoded it
        tag = got.headers["etag"]  # nginx weakens a strong ETag when it compresses: W/"r1"
        changed = c.put(
            f"/api/v1/articles/en/{key}", json={"source": article(key=key, body="Shorter.")}, headers={"If-Match": tag}
        )
        assert changed.status_code == 200, changed.text
    with cluster.client() as c:
        page = c.get("/help/en/")
        css = re.search(r'href="(/static/[^"]+\.css\?v=[^"]+)"', page.text)
        assert page.status_code == 200 and css, page.text[:500]
        static = c.get(css[1], headers={"Accept-Encoding": "gzip"})
    assert static.status_code == 200 and static.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert static.headers.get("content-encoding") == "gzip"


def test_the_body_limit_is_the_apps_and_answered_as_problem_json(cluster: Cluster) -> None:
    key = f"deploy-{uuid.uuid4().hex[:8]}"
    url = f"/api/v1/articles/en/{key}"
    headers = {"If-None-Match": "*", "Content-Type": "application/json"}
    envelope = b'{"source": "", "message": "x"}'
    exact = envelope.replace(b'"x"', b'"' + b"x" * (1024 * 1024 - len(envelope) + 1) + b'"')
    assert len(exact) == 1024 * 1024
    with cluster.client("editor") as c:
        at_limit = c.put(url, content=exact, headers=headers)
        over = c.put(url, content=exact + b" ", headers=headers)
    assert at_limit.status_code != 413, at_limit.text  # reached the app, which judged the content
    assert over.status_code == 413 and over.headers["content-type"].startswith("application/problem+json")
    assert over.json()["type"].endswith("/body-too-large") and over.json()["status"] == 413
    time.sleep(0.5)
    reached = [status for r in cluster.replicas for _, method, path, status in r.requests() if path == url]
    assert reached == [at_limit.status_code]  # the one over the limit never reached a replica


def _seconds_until(check: Callable[[], bool], *, limit: float, in_a_row: int = 8) -> float:
    """Seconds until `check` held `in_a_row` times running (every worker asked, not one lucky one)."""
    start = time.monotonic()
    streak = 0
    while time.monotonic() - start < limit:
        streak = streak + 1 if check() else 0
        if streak >= in_a_row:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"not seen {in_a_row} times running within {limit} s")


def test_a_publish_through_one_replica_is_served_by_the_other(cluster: Cluster) -> None:
    first, second = cluster.replicas
    key = f"deploy-{uuid.uuid4().hex[:8]}"
    word = "zephyrquartz" + "".join(chr(ord("a") + int(d, 16) % 26) for d in uuid.uuid4().hex[:6])
    source = article(key=key, title=f"How do I enable {word}?", body=f"Open settings and turn {word} on.")
    with cluster.client("editor", base=first.base) as c:
        assert (
            c.put(f"/api/v1/articles/en/{key}", json={"source": source}, headers={"If-None-Match": "*"}).status_code
            == 201
        )
        assert c.post(f"/api/v1/articles/en/{key}/publish").status_code == 200
    with (
        cluster.client("bot", base=second.base) as bot,
        cluster.client() as public,
        cluster.client(base=second.base) as other,
    ):
        searched = _seconds_until(
            lambda: (
                key in [h["key"] for h in bot.get("/api/v1/search", params={"q": word, "locale": "en"}).json()["hits"]]
            ),
            limit=5,
        )
        paged = _seconds_until(lambda: other.get(f"/help/en/{key}").status_code == 200, limit=5)
        through_nginx = _seconds_until(lambda: public.get(f"/help/en/{key}").status_code == 200, limit=5)
    # Each worker polls the log at most once a second (DESIGN.md 7: visible within one second).
    assert max(searched, paged, through_nginx) < 5


def test_killing_a_replica_leaves_gets_answered_by_the_other(cluster: Cluster) -> None:
    """Last in this file: it leaves one replica of the module's cluster dead."""
    dead = cluster.replicas[0]
    dead.kill()
    tag = uuid.uuid4().hex[:8]
    paths = ["/healthz", "/help/en/", "/api/v1/articles/en/check-balance", "/sitemap.xml"]
    statuses: list[int] = []
    with cluster.client("editor") as c:
        for n in range(40):
            statuses.append(c.get(paths[n % len(paths)], params={"probe": f"{tag}-{n}"}).status_code)
        head = c.head("/help/en/", params={"probe": f"{tag}-head"})
    assert statuses == [200] * 40 and head.status_code == 200
    time.sleep(0.5)
    assert _probe_counts(cluster, tag)[1] == 41  # the survivor answered every one of them
    errors = (cluster.folder / "error.log").read_text(encoding="utf-8")
    assert "connect() failed" in errors and dead.base.removeprefix("http://") in errors  # nginx tried it, moved on


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """Run where systemd-analyze exists (not in CI, which has no systemd); a skip says so elsewhere."""
    analyze = shutil.which("systemd-analyze")
    system = Path("/lib/systemd/system")
    if analyze is None or not system.is_dir():
        pytest.skip("systemd-analyze is not on this machine")
    # A root of its own: the units as installed, the commands they start, and systemd's own units.
    units = tmp_path / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    shutil.copytree(system, tmp_path / "usr" / "lib" / "systemd" / "system", symlinks=True)
    bin_dir = tmp_path / "opt" / "istok" / "current" / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("istok", "istok-adapter"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    for unit in [*DEPLOY.glob("*.service"), *DEPLOY.glob("*.target")]:
        shutil.copy(unit, units / unit.name)
    names = ["istok@8001.service", "istok-migrate.service", "istok-adapter@telegram.service", "istok.target"]
    done = subprocess.run([analyze, "verify", f"--root={tmp_path}", *names], cwd=units, capture_output=True, text=True)
    # verify exits 0 on an unknown or malformed setting and only warns: any output is a failure here.
    assert done.returncode == 0 and done.stderr.strip() == "" and done.stdout.strip() == "", done.stderr + done.stdout


def _settings_read(*packages: str) -> set[str]:
    """Every ISTOK_… (and adapter) variable the code reads by name from its environment."""
    pattern = re.compile(
        r"""(?:environ\.get\(|env\.get\(|getenv\(|\benv\(|environ\[|required\(\s*env,|number\(\s*env,)\s*["']([A-Z][A-Z0-9_]+)["']"""
    )
    names: set[str] = set()
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def test_the_example_settings_name_every_setting_the_code_reads() -> None:
    server = (DEPLOY / "istok.env.example").read_text(encoding="utf-8")
    read = {n for n in _settings_read("kb", "api", "contacts") if n.startswith("ISTOK_")}
    assert {"ISTOK_DATABASE_URL", "ISTOK_SECRET_KEY", "ISTOK_PUBLIC_URL", "ISTOK_DATA_DIR"} <= read
    assert sorted(n for n in read if not re.search(rf"^#?\s*{n}=", server, re.M)) == []
    adapters = (DEPLOY / "adapter.env.example").read_text(encoding="utf-8")
    read = _settings_read("adapters")
    assert {"ISTOK_URL", "ISTOK_API_KEY", "TELEGRAM_BOT_TOKEN"} <= read
    assert sorted(n for n in read if not re.search(rf"^#?\s*{n}=", adapters, re.M)) == []
