"""The path one `GET /api/v1/answer` takes through our code, traced over real HTTP.

A throw-away SQLite store with the sample content; the app served by uvicorn in this process
with a profile hook on every thread; the same question asked twice by a known client
(`identity=`), so the first is computed and the second is a kept reply. For each request it
counts the engine's answers, the renders and the timeline records, lists the modules of ours
the request entered, counts the statements of `api` it ran, and says whether a route
function ran again in the middle of the answer (between the engine and the timeline). Prints
JSON; `tests/api/test_answer_path.py` holds the figures to what issue #13 asks.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import json
import os
import socket
import sys
import tempfile
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OURS = tuple(str(ROOT / p) + os.sep for p in ("api", "kb", "renderers", "contacts"))
ROUTES = str(ROOT / "api" / "routes") + os.sep
QUESTION = "как проверить баланс"


class Tracer:
    """Calls, returns and executed lines of our own code, recorded only while `on` is set."""

    def __init__(self) -> None:
        self.on = False
        self.events: list[tuple[str, types.CodeType, types.FrameType]] = []
        self.lines: set[tuple[str, int]] = set()
        self.lock = threading.Lock()

    def __call__(self, frame: types.FrameType, event: str, _arg: object) -> Any:
        if not self.on or event != "call" or not frame.f_code.co_filename.startswith(OURS):
            return None
        self._note("call", frame)
        return self._local

    def _local(self, frame: types.FrameType, event: str, _arg: object) -> Any:
        if not self.on:
            return None
        if event == "line":
            self.lines.add((frame.f_code.co_filename, frame.f_lineno))
        elif event == "return":
            self._note("return", frame)
        return self._local

    def _note(self, event: str, frame: types.FrameType) -> None:
        with self.lock:
            self.events.append((event, frame.f_code, frame))  # held, so no frame's id is reused meanwhile


@functools.cache
def _statements(filename: str) -> dict[int, int]:
    """Line -> the line its statement starts on, so a call written over ten lines counts once."""
    tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    starts: dict[int, int] = {}
    for node in ast.walk(tree):  # outer statements first, so inner ones overwrite their lines
        if isinstance(node, ast.stmt):
            body = getattr(node, "body", None)
            end = body[0].lineno - 1 if isinstance(body, list) and body else (node.end_lineno or node.lineno)
            for line in range(node.lineno, max(end, node.lineno) + 1):
                starts[line] = node.lineno
    return starts


def summary(tracer: Tracer, marks: dict[str, types.CodeType]) -> dict[str, Any]:
    events = list(tracer.events)
    calls = [(i, code, id(frame)) for i, (event, code, frame) in enumerate(events) if event == "call"]
    first_entry: dict[int, int] = {}
    for i, _code, frame in calls:
        first_entry.setdefault(frame, i)
    entered = [code for i, code, frame in calls if first_entry[frame] == i]  # a coroutine resumed is not a call
    counts = {name: sum(1 for code in entered if code is mark) for name, mark in marks.items()}
    modules = sorted({os.path.relpath(code.co_filename, ROOT) for code in entered})
    api_functions = {code for code in entered if code.co_filename.startswith(str(ROOT / "api"))}
    api_lines = sorted({(f, _statements(f).get(n, n)) for f, n in tracer.lines if f.startswith(str(ROOT / "api"))})
    engine_at = [i for i, code, _f in calls if code is marks["engine"]]
    timeline_at = [i for i, code, _f in calls if code is marks["timeline"]]
    span = (min(engine_at + timeline_at), max(engine_at + timeline_at)) if engine_at or timeline_at else (0, -1)
    in_between = sorted(
        {
            f"{os.path.relpath(code.co_filename, ROOT)}:{code.co_name}"
            for i, code, frame in calls
            if span[0] < i < span[1] and first_entry[frame] == i and code.co_filename.startswith(ROUTES)
        }
    )
    return {
        **counts,
        "modules": modules,
        "module_count": len(modules),
        "api_modules": sum(1 for m in modules if m.startswith("api")),
        "api_functions": len(api_functions),
        "api_statements_run": len(api_lines),
        "api_statements_by_module": {
            m: sum(1 for f, _n in api_lines if os.path.relpath(f, ROOT) == m)
            for m in sorted({os.path.relpath(f, ROOT) for f, _n in api_lines})
        },
        "routes_entered_mid_answer": in_between,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _store() -> Iterator[str]:
    import kb

    with tempfile.TemporaryDirectory(prefix="istok-answer-path-") as folder:
        url = f"sqlite:///{Path(folder) / 'istok.db'}"
        engine = kb.make_engine(url)
        kb.upgrade(engine)
        kb.import_paths([ROOT / "content"], engine=engine, publish=True)
        with kb.write_session(engine) as session:
            try:
                _key, secret = kb.create_key(session=session, name="answer-path", role="bot", actor="bench")
            except TypeError:  # a tree from before keys audited themselves
                _key, secret = kb.create_key(session=session, name="answer-path", role="bot")  # type: ignore[call-arg]
        engine.dispose()
        os.environ.update(ISTOK_DATABASE_URL=url, ISTOK_DATA_DIR=folder, ISTOK_BENCH_SECRET=secret)
        yield secret


def measure() -> dict[str, Any]:
    import httpx
    import uvicorn

    import contacts
    import kb
    import renderers

    with _store() as secret:
        tracer = Tracer()
        threading.settrace(tracer)
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config("api.app:app", host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {secret}"}
        params = {"q": QUESTION, "locale": "ru", "channel": "bot", "identity": "telegram:4242"}
        marks = {
            "engine": kb.answer.__code__,
            "render": renderers.render.__code__,
            "timeline": contacts.record_interaction.__code__,
        }
        out: dict[str, Any] = {}
        with httpx.Client(base_url=base, timeout=30) as http:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if http.get("/healthz").status_code == 200:
                        break
                time.sleep(0.1)
            other = {**params, "q": "тариф", "identity": "telegram:1"}
            warm = http.get("/api/v1/answer", params=other, headers=headers)
            warm.raise_for_status()  # the thread pool and the engine's limiter exist from here on
            for name in ("uncached", "cached"):
                tracer.events.clear()
                tracer.lines.clear()
                tracer.on = True
                response = http.get("/api/v1/answer", params=params, headers=headers)
                tracer.on = False
                response.raise_for_status()
                out[name] = summary(tracer, marks) | {"status": response.json()["status"]}
        server.should_exit = True
        thread.join(timeout=15)
        threading.settrace(None)  # type: ignore[arg-type]
    return out


if __name__ == "__main__":
    print(json.dumps(measure(), ensure_ascii=False, indent=2))
