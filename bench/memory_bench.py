"""Memory benchmark: what uvicorn workers hold at 10,000 articles (issue 17).

10,000 generated articles in SQLite, `istok reindex` first (every phrase vector encoded), the
default configuration (semantic evidence on). For 1 and 4 workers: uvicorn on 127.0.0.1, ready
once every worker says its vectors are loaded, warmed with 3,000 distinct questions over
/api/v1/answer (4 clients, a new connection per request so that every worker gets its share),
then each worker's RSS, PSS and USS (Private_Clean + Private_Dirty) from /proc/PID/smaps_rollup.
uvicorn *spawns* its workers: nothing is shared between them but what is mapped from files
(the encoder's table, the shared libraries, whatever else a worker maps), so PSS shows how much
of a worker would be paid once per host. Targets: one worker ≤ 400 MB RSS after warm-up; four
workers' summed PSS ≤ 2 × one worker's RSS (the one-worker run's).

The store is prepared by a child of its own (`--prepare`), so that this process maps none of
the files the workers share. Then, once, where one worker's memory goes: a fresh `python` runs
a worker's steps one at a time and reads its RSS after each (`--breakdown`). A worker opens its
index while the encoder loads in the background, and reads the phrase vectors as soon as the
encoder is there; to tell them apart, the step-by-step worker waits for the encoder first
(through the index's own deferred encoder), then opens the index and waits for its vectors. A
second one with ISTOK_SEMANTIC=0 opens the lexical index alone, which splits "index and
vectors" into the two. The semantic one also sizes the opened index's largest structures (numpy
`.nbytes`; Python objects counted and summed by `sys.getsizeof`) and says how much of its RSS
is anonymous (the heap, private to each worker) and how much is mapped from files. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import importlib
import json
import mmap
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ARTICLES = 10_000
WARM_QUESTIONS = 3_000
CLIENTS = 4
RSS_TARGET_MB = 400.0
PSS_RATIO_TARGET = 2.0
#: The whole run stops by itself: the breakdown and each server are bounded by these.
STEP_TIMEOUT = 300.0
MB = 2**20


# ---- reading a process's memory ----------------------------------------------------


def rollup(pid: int) -> dict[str, float]:
    """RSS, PSS and USS of `pid` in MB, and the anonymous and file-backed parts of its PSS."""
    kb_values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            kb_values[name] = int(parts[0])

    def mb(*names: str) -> float:
        return round(sum(kb_values.get(n, 0) for n in names) / 1024, 1)

    return {
        "rss_mb": mb("Rss"),
        "pss_mb": mb("Pss"),
        "uss_mb": mb("Private_Clean", "Private_Dirty"),
        "pss_anon_mb": mb("Pss_Anon"),
        "pss_file_mb": mb("Pss_File"),
        "anonymous_mb": mb("Anonymous"),
    }


def biggest_mappings(pid: int, count: int = 8) -> list[dict[str, Any]]:
    """The file-backed mappings of `pid` with the most resident memory (shared in page cache)."""
    sizes: dict[str, int] = {}
    current = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and ":" not in head[0]:  # a mapping's header: range perms offset dev inode path
            current = head[5] if len(head) > 5 and head[5].startswith("/") else ""
        elif current and line.startswith("Rss:"):
            sizes[current] = sizes.get(current, 0) + int(head[1])
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])[:count]
    return [{"file": _short(path), "rss_mb": round(kib / 1024, 1)} for path, kib in ranked]


def _short(path: str) -> str:
    for marker in ("site-packages/", "/encoder/", "/search/"):
        if marker in path:
            return marker.strip("/") + "/" + path.split(marker, 1)[1]
    return path


def _rss_mb() -> float:
    return round(float(psutil.Process().memory_info().rss) / MB, 1)


# ---- the servers ----------------------------------------------------------------------


def workers_of(proc: psutil.Process) -> list[psutil.Process]:
    """The worker processes of a uvicorn started as `proc`: its spawned children, or itself with one worker.

    A spawn start also runs multiprocessing's resource tracker beside the workers: it is left out.
    """
    children = [c for c in proc.children() if "spawn_main" in " ".join(c.cmdline())]
    return children or [proc]


def warm_up(
    base: str, paths: Sequence[str], secret: str, *, clients: int = CLIENTS, within: float = 240.0
) -> dict[str, Any]:
    """Ask every path once from `clients` threads, a new connection per request; bounded by `within` seconds."""
    import httpx

    deadline = time.monotonic() + within
    headers = {"Authorization": f"Bearer {secret}"}

    def ask(share: Sequence[str]) -> tuple[int, int]:
        ok = failed = 0
        limits = httpx.Limits(max_keepalive_connections=0)  # each request is accepted by whichever worker is free
        with httpx.Client(base_url=base, headers=headers, timeout=30, limits=limits) as client:
            for path in share:
                if time.monotonic() > deadline:
                    break
                try:
                    status = client.get(path).status_code
                except httpx.HTTPError:
                    status = 0
                ok, failed = (ok + 1, failed) if status == 200 else (ok, failed + 1)
        return ok, failed

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(ask, [paths[i::clients] for i in range(clients)]))
    return {
        "answered_200": sum(r[0] for r in results),
        "failed": sum(r[1] for r in results),
        "seconds": round(time.monotonic() - started, 1),
    }


def _answer_paths(asked: Sequence[Sequence[str]]) -> list[str]:
    """The answer API's path for each (locale, question), as http_bench asks them.

    Imported here, not at the top: the breakdown child reads its RSS before anything of Istok is imported.
    """
    import http_bench

    return [http_bench._answer_path(loc, q) for loc, q in asked]


def measure_server(workers: int, env: dict[str, str], paths: Sequence[str], secret: str) -> dict[str, Any]:
    """Start uvicorn with `workers`, wait for the vectors, warm it, read every worker's memory, stop it."""
    import http_bench

    server, base = http_bench.serve("api.app:app", env, workers=workers)
    try:
        ready_s = http_bench._vectors_ready(base, within=STEP_TIMEOUT)
        warm = warm_up(base, paths, secret)
        time.sleep(2)  # background threads (the gap log's flush, a vector compile) settle
        supervisor = psutil.Process(server.pid)
        per_worker = []
        for proc in workers_of(supervisor):
            cpu = proc.cpu_times()
            per_worker.append({"pid": proc.pid, **rollup(proc.pid), "cpu_s": round(cpu.user + cpu.system, 1)})
        mappings = biggest_mappings(per_worker[0]["pid"])
        supervisor_mb = rollup(server.pid) if workers > 1 else None
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {
        "workers": workers,
        "vectors_ready_s": ready_s,
        "warm_up": warm,
        "per_worker": per_worker,
        "summed_pss_mb": round(sum(w["pss_mb"] for w in per_worker), 1),
        "summed_uss_mb": round(sum(w["uss_mb"] for w in per_worker), 1),
        "supervisor": supervisor_mb,
        "first_worker_biggest_file_mappings": mappings,
    }


# ---- where one worker's memory goes (the `--breakdown` child) ---------------------------


def _deep(root: object) -> tuple[int, int, int]:
    """(Python bytes by getsizeof, Python objects, numpy bytes) reachable from `root`, each object once.

    Walks containers and the instances of kb's own classes; numpy arrays count their header as
    Python and their buffer (the array that owns it, once) as numpy. Strings shared with other
    structures are counted in each walk that reaches them.
    """
    import numpy as np

    seen: set[int] = set()
    owners: set[int] = set()
    py = objects = arrays = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        objects += 1
        py += sys.getsizeof(obj)
        if isinstance(obj, np.ndarray):
            py -= obj.nbytes if obj.flags.owndata else 0  # getsizeof counts an owned buffer: it is counted below
            owner = obj
            while isinstance(owner.base, np.ndarray):
                owner = owner.base
            if id(owner) not in owners:
                owners.add(id(owner))
                arrays += 0 if isinstance(owner.base, mmap.mmap) else owner.nbytes  # mapped: in the page cache
            continue
        stack.extend(_children(obj))
    return py, objects, arrays


def _children(obj: object) -> Iterator[object]:
    if isinstance(obj, dict):
        yield from obj.keys()
        yield from obj.values()
    elif isinstance(obj, list | tuple | set | frozenset):
        yield from obj
    elif type(obj).__module__.startswith(("kb.", "api.", "renderers.")):
        for cls in type(obj).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if hasattr(obj, name):
                    yield getattr(obj, name)
        if hasattr(obj, "__dict__"):
            yield from vars(obj).values()


def _sized(root: object) -> dict[str, float]:
    py, objects, arrays = _deep(root)
    return {"numpy_mb": round(arrays / MB, 1), "python_mb": round(py / MB, 1), "python_objects": objects}


def structures(index: Any) -> dict[str, Any]:
    """The sizes of the opened index's largest parts, per locale (read-only: attributes, no kb change)."""
    out: dict[str, Any] = {}
    for locale, idx in sorted(index.state.locales.items()):
        part: dict[str, Any] = {
            "articles": idx.live,
            "terms": len(idx.postings),
            "postings": _sized(idx.postings),
            "docs": _sized(idx.docs),
            "by_uid": _sized(idx.by_uid),
            "typo_corrector": {**_sized(idx.corrector), "delete_keys": len(idx.corrector._by_delete)},
            "lengths_and_categories": _sized([idx.lengths, idx.category_ids]),
        }
        vectors = index.state.vectors.get(locale)
        if vectors is not None:  # the per-slot rows are views of the compiled space: sized together, once
            space = vectors._space
            part["vectors"] = {
                "phrases": 0 if space is None else len(space.owners),
                **_sized([space, vectors._rows, vectors._derived, vectors._fit]),
            }
        out[locale] = part
    out["whole_index"] = _sized(index)  # everything reachable from it through kb's own objects
    encoder = index.state.encoder
    if encoder is not None:
        loaded = getattr(encoder, "_loaded", None)  # a Deferred stands for the process's encoder
        enc = loaded() if callable(loaded) else encoder
        out["encoder_question_cache"] = {"entries": len(enc._questions), **_sized(enc._questions)}
    return out


def caches(index: Any) -> dict[str, Any]:
    """The answer caches a warm worker holds: the HTTP replies kept (api) and the engine's answers (kb).

    Read from the modules `api.app` already imported (`sys.modules`), to size them only.
    """
    out: dict[str, Any] = {}
    replies = getattr(sys.modules.get("api.answering"), "_kept", None)
    if replies is not None:  # an LRUCache weighed by api.answering's estimate (currsize, bytes)
        weighed = round(replies.currsize / MB, 1)
        out["http_replies"] = {"entries": len(replies), "weighed_mb": weighed, **_sized(list(replies.values()))}
    answerers = getattr(sys.modules.get("kb.search.answering"), "_answerers", {})
    for answerer in list(answerers.values()):
        if answerer.index is index:
            out["engine_answers"] = {"entries": len(answerer._cache), **_sized(answerer._cache)}
    return out


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


def heap() -> dict[str, float]:
    """What the heap holds, in MB: glibc's in use and free-but-kept, and pymalloc's arenas and used blocks.

    RSS counts both the live objects and what was freed but not handed back; this tells them apart.
    """
    out: dict[str, float] = {}
    with contextlib.suppress(OSError, AttributeError):
        mallinfo2 = ctypes.CDLL(None).mallinfo2
        mallinfo2.restype = _MallInfo2
        info = mallinfo2()
        out["glibc_in_use_mb"] = round((info.uordblks + info.hblkhd) / MB, 1)
        out["glibc_free_kept_mb"] = round(info.fordblks / MB, 1)
    with tempfile.TemporaryFile() as captured:  # pymalloc writes its statistics to the C stderr
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        text = captured.read().decode("utf-8", "replace")
    for key, pattern in (
        ("pymalloc_arenas_mb", r"arenas \* \d+ bytes/arena\s*=\s*([\d,]+)"),
        ("pymalloc_used_mb", r"# bytes in allocated blocks\s*=\s*([\d,]+)"),
        ("pymalloc_free_mb", r"# bytes in available blocks\s*=\s*([\d,]+)"),
    ):
        found = re.search(pattern, text)
        if found:
            out[key] = round(int(found.group(1).replace(",", "")) / MB, 1)
    return out


async def _serve_in_process(app: Any, paths: Sequence[str], secret: str, steps: dict[str, float]) -> int:
    """Run the app's own start-up (its lifespan) and ask every path through it, as the worker would be asked."""
    import httpx

    answered = 0
    async with app.router.lifespan_context(app):
        steps["lifespan_started"] = _rss_mb()
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=headers) as client:
            for path in paths:
                answered += (await client.get(path)).status_code == 200
        steps["warmed_up"] = _rss_mb()
    return answered


def breakdown_child() -> None:
    """A worker's steps one at a time, printing RSS (MB) after each as one JSON line."""
    steps: dict[str, float] = {"interpreter": _rss_mb()}
    app_module = importlib.import_module("api.app")  # what uvicorn imports for "api.app:app"
    steps["import_api_app"] = _rss_mb()
    heaps = {"import_api_app": heap()}
    import kb

    kb.limit_math_threads()
    engine = kb.make_engine(kb.load_settings().database_url)
    index = kb.get_index(engine, opened=False)  # the process's index, which the app's lifespan opens next
    encoder = index.state.encoder
    if index.use_semantic and encoder is not None:
        encoder.questions(["probe"])  # waits for the load the index started in the background
        steps["encoder_loaded"] = _rss_mb()
    index.open()
    steps["index_opened"] = _rss_mb()
    heaps["index_opened"] = heap()
    if index.use_semantic:
        index.wait_vectors(STEP_TIMEOUT)
        steps["vectors_ready"] = _rss_mb()
        heaps["vectors_ready"] = heap()
    asked = json.loads(Path(os.environ["ISTOK_BENCH_QUESTIONS"]).read_text(encoding="utf-8"))
    paths = _answer_paths(asked)
    answered = asyncio.run(_serve_in_process(app_module.app, paths, os.environ["ISTOK_BENCH_KEY"], steps))
    heaps["warmed_up"] = heap()
    result: dict[str, Any] = {"rss_mb": steps, "answered_200": answered, "rollup": rollup(os.getpid()), "heap": heaps}
    if index.use_semantic:
        gc.collect()
        result["file_mappings"] = biggest_mappings(os.getpid())
        result["structures"] = structures(index)
        result["caches"] = caches(index)
    print(json.dumps(result))


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """This script run again as a child with `args`: the last JSON line it printed, or why there is none."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT * 2,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}", "stderr": done.stderr[-2000:]}
    return dict(json.loads(lines[-1]))


def run_breakdown(env: dict[str, str], *, semantic: bool) -> dict[str, Any]:
    """The `--breakdown` child's JSON, with the semantic evidence on (the default) or off."""
    return _child(["--breakdown"], {**env, "ISTOK_SEMANTIC": "1" if semantic else "0"})


def deltas(semantic: dict[str, Any], lexical: dict[str, Any]) -> dict[str, float]:
    """MB each part adds to a worker: the steps of the semantic child, the lexical index from the other."""
    s, lx = semantic["rss_mb"], lexical["rss_mb"]
    lexical_index = lx["index_opened"] - lx["import_api_app"]
    index_and_vectors = s["vectors_ready"] - s["encoder_loaded"]
    return {
        "interpreter": s["interpreter"],
        "import_api_app": round(s["import_api_app"] - s["interpreter"], 1),
        "encoder_loaded": round(s["encoder_loaded"] - s["import_api_app"], 1),
        "lexical_index_opened": round(lexical_index, 1),
        "phrase_vectors_read_and_compiled": round(index_and_vectors - lexical_index, 1),
        "lifespan_start": round(s["lifespan_started"] - s["vectors_ready"], 1),
        "warm_up_3000_questions": round(s["warmed_up"] - s["lifespan_started"], 1),
        "total": s["warmed_up"],
        "lexical_only_total": lx["warmed_up"],
    }


# ---- the whole run ----------------------------------------------------------------------


def prepare_child(folder: Path, articles: int, questions: int) -> None:
    """`articles` in SQLite, indexed with every phrase vector encoded, as http_bench prepares them.

    Run in a child of its own: this process loads the encoder and maps its table, and a parent
    still mapping it would take a share of every worker's PSS.
    """
    import answer_bench

    import kb

    made = answer_bench.generate(folder / "content", articles)
    asked = answer_bench.questions(made, questions)
    (folder / "questions.json").write_text(json.dumps(asked, ensure_ascii=False), encoding="utf-8")
    engine = kb.make_engine(kb.load_settings().database_url)
    kb.upgrade(engine)
    kb.import_paths([folder / "content"], engine=engine, publish=True)
    with kb.write_session(engine) as session:
        _key, secret = kb.create_key(session=session, name="bench", role="bot", actor="bench")
    kb.reindex(engine, data_dir=folder)  # the workers open this index (and find every vector) instead of building
    print(json.dumps({"secret": secret}))


def _store(folder: Path, articles: int, questions: int) -> tuple[dict[str, str], list[tuple[str, str]], str]:
    """The store prepared by a child: the servers' environment, the warm-up questions, a bot key's secret."""
    env = {
        **os.environ,
        "ISTOK_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "ISTOK_DATA_DIR": str(folder),
        "ISTOK_RATE_LIMIT": "1000000",
    }
    sizes = ["--articles", str(articles), "--questions", str(questions)]
    prepared = _child(["--prepare", str(folder), *sizes], env)
    if "error" in prepared:
        raise RuntimeError(f"preparing the store failed ({prepared['error']}): {prepared['stderr']}")
    secret = prepared["secret"]
    asked = [(loc, q) for loc, q in json.loads((folder / "questions.json").read_text(encoding="utf-8"))]
    env["ISTOK_BENCH_QUESTIONS"] = str(folder / "questions.json")
    env["ISTOK_BENCH_KEY"] = secret
    return env, asked, secret


def verdict(one: dict[str, Any], four: dict[str, Any]) -> dict[str, Any]:
    one_rss = one["per_worker"][0]["rss_mb"]
    ratio = four["summed_pss_mb"] / one_rss
    mean_rss = sum(w["rss_mb"] for w in four["per_worker"]) / len(four["per_worker"])
    return {
        "one_worker_rss_mb": one_rss,
        "one_worker_rss_target_mb": RSS_TARGET_MB,
        "one_worker_rss_pass": one_rss <= RSS_TARGET_MB,
        "four_summed_pss_over_one_rss": round(ratio, 2),
        "four_summed_pss_over_their_mean_rss": round(four["summed_pss_mb"] / mean_rss, 2),
        "pss_ratio_target": PSS_RATIO_TARGET,
        "pss_ratio_pass": ratio <= PSS_RATIO_TARGET,
    }


def main(articles: int = ARTICLES, questions: int = WARM_QUESTIONS) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="istok-memory-bench-") as tmp:
        folder = Path(tmp)
        env, asked, secret = _store(folder, articles, questions)
        prepared = time.monotonic() - started
        paths = _answer_paths(asked)
        one = measure_server(1, env, paths, secret)
        four = measure_server(4, env, paths, secret)
        semantic = run_breakdown(env, semantic=True)
        lexical = run_breakdown(env, semantic=False)
    results: dict[str, Any] = {
        "bench": "memory",
        "articles": articles,
        "warm_up_questions": len(asked),
        "prepare_s": round(prepared, 1),
        "workers_1": one,
        "workers_4": four,
        "targets": verdict(one, four),
    }
    if "error" in semantic or "error" in lexical:
        results["breakdown_error"] = {"semantic": semantic.get("error"), "lexical": lexical.get("error")}
        results["breakdown_children"] = {"semantic": semantic, "lexical": lexical}
    else:
        results["breakdown"] = deltas(semantic, lexical)
        results["breakdown_steps_rss_mb"] = {"semantic": semantic["rss_mb"], "lexical": lexical["rss_mb"]}
        results["breakdown_rollup"] = {"semantic": semantic["rollup"], "lexical": lexical["rollup"]}
        results["breakdown_heap"] = {"semantic": semantic["heap"], "lexical": lexical["heap"]}
        results["caches_after_warm_up"] = semantic["caches"]
        results["breakdown_file_mappings"] = semantic["file_mappings"]
        results["structures"] = semantic["structures"]
    results["total_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--breakdown", action="store_true", help="be the step-by-step worker (run by the bench)")
    parser.add_argument("--prepare", type=Path, help="write the store into this folder (run by the bench)")
    parser.add_argument("--articles", type=int, default=ARTICLES)
    parser.add_argument("--questions", type=int, default=WARM_QUESTIONS)
    args = parser.parse_args()
    if args.breakdown:
        breakdown_child()
    elif args.prepare is not None:
        prepare_child(args.prepare, args.articles, args.questions)
    else:
        main(args.articles, args.questions)
