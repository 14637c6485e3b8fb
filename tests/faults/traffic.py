"""Traffic for the fault tests: readers asking and searching, writers creating, editing and publishing.

Writers create articles of their own (create, publish, edit, publish) or, given `edits`, edit
existing ones in turn (read, save on the ETag, publish), keeping each source's size.

Every request is bounded by a client timeout, and every one leaves an `Outcome` (a status, or
no answer at all), so a test can say what the service answered while a fault lasted. Writers
keep what the service acknowledged (a saved revision and its hash, a publish and its log
sequence): after the fault, every acknowledged write must be in the store, whole.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

import httpx

#: Questions the readers ask and search for, in turn.
QUESTIONS = [
    ("en", "How do I check my balance?"),
    ("ru", "роуминг тариф"),
    ("uk", "як поповнити рахунок"),
    ("en", "roaming abroad"),
]
#: Seconds a reader or writer waits after a request that got no answer (a server that is gone).
AFTER_NO_ANSWER = 0.05


@dataclass(frozen=True)
class Outcome:
    """One request: what, where, when (monotonic seconds), and what came back."""

    kind: str
    base: str
    started: float
    ended: float
    status: int | None  # None: no answer at all (refused, reset, or past the client timeout)
    media_type: str = ""
    retry_after: str | None = None
    error: str = ""

    @property
    def timed_out(self) -> bool:
        return self.error.startswith("timeout")


@dataclass(frozen=True)
class Saved:
    """A revision the service acknowledged (PUT answered 200 or 201)."""

    base: str
    locale: str
    key: str
    revision: int
    content_hash: str
    source: str


@dataclass(frozen=True)
class Published:
    """A publish the service acknowledged, with the log entry it wrote."""

    base: str
    locale: str
    key: str
    revision: int
    seq: int | None


@dataclass
class Traffic:
    """Readers and writers against `bases` (round robin) until `stop()`; see the module docstring."""

    bases: list[str]
    reader_key: str
    editor_key: str
    readers: int = 2
    writers: int = 2
    timeout: float = 10.0
    tag: str = "t"
    questions: list[tuple[str, str]] = field(default_factory=lambda: list(QUESTIONS))  # (locale, question)
    #: (locale, key) of existing articles the writers edit; none: each writer creates articles of its own
    edits: list[tuple[str, str]] = field(default_factory=list)
    pause: float = 0.0  # seconds each reader and writer waits between two requests (0: as fast as it can)
    outcomes: list[Outcome] = field(default_factory=list)
    saved: list[Saved] = field(default_factory=list)
    published: list[Published] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._originals: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._read, args=(n,), daemon=True, name=f"reader-{n}") for n in range(self.readers)
        ] + [
            threading.Thread(target=self._write, args=(n,), daemon=True, name=f"writer-{n}")
            for n in range(self.writers)
        ]

    def start(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)
        assert not any(t.is_alive() for t in self._threads), "a traffic thread outlived its client timeout"

    # ---- the threads ---------------------------------------------------------------

    def _client(self, key: str) -> httpx.Client:
        return httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=self.timeout)

    def _request(
        self, client: httpx.Client, kind: str, base: str, method: str, path: str, **kw: object
    ) -> httpx.Response | None:
        if self.pause:
            self._stop.wait(self.pause)
        started = time.monotonic()
        try:
            response = client.request(method, base + path, **kw)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            self._note(Outcome(kind, base, started, time.monotonic(), None, error=f"timeout: {exc!r}"))
            time.sleep(AFTER_NO_ANSWER)
            return None
        except httpx.TransportError as exc:
            self._note(Outcome(kind, base, started, time.monotonic(), None, error=f"no answer: {exc!r}"))
            time.sleep(AFTER_NO_ANSWER)
            return None
        media = response.headers.get("content-type", "").split(";")[0]
        self._note(
            Outcome(
                kind, base, started, time.monotonic(), response.status_code, media, response.headers.get("retry-after")
            )
        )
        return response

    def _note(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def _read(self, n: int) -> None:
        turns = itertools.cycle(itertools.product(self.bases, self.questions, ("answer", "search")))
        for _ in range(n * 3):
            next(turns)  # readers start at different places of the cycle
        with self._client(self.reader_key) as client:
            while not self._stop.is_set():
                base, (locale, question), kind = next(turns)
                params = {"q": question, "locale": locale}
                if kind == "answer":
                    params["channel"] = "bot"
                self._request(client, kind, base, "GET", f"/api/v1/{kind}", params=params)

    def _write(self, n: int) -> None:
        bases = itertools.cycle(self.bases[n % len(self.bases) :] + self.bases[: n % len(self.bases)])
        mine = self.edits[n :: self.writers]
        with self._client(self.editor_key) as client:
            for round_no in itertools.count():
                if self._stop.is_set():
                    return
                if mine:
                    locale, key = mine[round_no % len(mine)]
                    self._edit_publish(client, next(bases), locale, key, round_no)
                else:
                    self._create_edit_publish(client, next(bases), f"fault-{self.tag}-{n}-{round_no}")

    def _create_edit_publish(self, client: httpx.Client, base: str, key: str) -> None:
        """Create an article, publish it, save a second revision on its ETag and publish that."""
        etag = self._save(client, base, "en", key, {"If-None-Match": "*"}, _probe(key, "First words."))
        if etag is None or not self._publish(client, base, "en", key):
            return
        if self._save(client, base, "en", key, {"If-Match": etag}, _probe(key, "Second words.")) is not None:
            self._publish(client, base, "en", key)

    def _edit_publish(self, client: httpx.Client, base: str, locale: str, key: str, round_no: int) -> None:
        """Save the article as it first was plus one line naming this round, on its ETag, and publish it.

        The source keeps its size from round to round, so the store and the index do not grow with it.
        """
        got = self._request(client, "get", base, "GET", f"/api/v1/articles/{locale}/{key}")
        if got is None or got.status_code != 200:
            return
        original = self._originals.setdefault((locale, key), got.json()["source"].rstrip("\n"))
        source = f"{original}\n\nChecked again ({self.tag}, round {round_no}).\n"
        if self._save(client, base, locale, key, {"If-Match": got.headers["ETag"]}, source) is not None:
            self._publish(client, base, locale, key)

    def _save(
        self, client: httpx.Client, base: str, locale: str, key: str, condition: dict[str, str], source: str
    ) -> str | None:
        path = f"/api/v1/articles/{locale}/{key}"
        reply = self._request(
            client, "put", base, "PUT", path, json={"source": source, "message": "fault"}, headers=condition
        )
        if reply is None or reply.status_code not in (200, 201):
            return None
        got = reply.json()
        with self._lock:
            self.saved.append(Saved(base, locale, key, int(got["draft_revision"]), str(got["content_hash"]), source))
        return reply.headers["ETag"]

    def _publish(self, client: httpx.Client, base: str, locale: str, key: str) -> bool:
        reply = self._request(client, "publish", base, "POST", f"/api/v1/articles/{locale}/{key}/publish", json={})
        if reply is None or reply.status_code != 200:
            return False
        got = reply.json()
        with self._lock:
            self.published.append(Published(base, locale, key, int(got["published_revision"]), got["seq"]))
        return True


def _probe(key: str, body: str) -> str:
    """The source of an article of the writers' own (English, titled after its key)."""
    return f"---\nkey: {key}\nlocale: en\ntitle: Fault probe {key}\n---\n{body} ({key})\n"
