"""How a process that answers questions is set up, so the service and the benchmarks measure the same thing.

Two settings decide an answer's latency as much as the code does:

* **One BLAS thread.** An answer is a handful of small matrix products (a question against a
  few hundred phrase rows). Spread over threads they gain nothing and the threads spin
  between products, which starves the other worker on the same cores and puts milliseconds
  into the tail. The workers are the parallelism (`ISTOK_BLAS_THREADS` overrides it).
* **A settled heap.** The index holds millions of long-lived objects; a full collection walks
  them all and stalls a request for hundreds of milliseconds. Once the index is open they are
  frozen out of the collector, and young collections run less often, since answers allocate
  in bursts.
* **Large blocks mapped.** glibc serves a large allocation from `mmap` (returned to the
  system when freed) only below a threshold that rises with every large block freed, so after
  the vectors' warm-up (hundreds of megabytes of transient arrays) later arrays come from the
  heap and the heap keeps its peak: 90–180 MB per worker at 10,000 articles, measured by
  `bench/memory_bench.py`. The threshold is fixed at its default instead (`mallopt`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os

import threadpoolctl


def limit_math_threads() -> None:
    """One BLAS thread for this process (or `ISTOK_BLAS_THREADS`); call before the index opens."""
    threadpoolctl.threadpool_limits(limits=int(os.environ.get("ISTOK_BLAS_THREADS", "1")))


#: mallopt(3) parameter, and the 128 KiB glibc starts with.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 128 * 1024


def map_large_blocks() -> None:
    """Serve every allocation of 128 KiB and more from its own mapping, for good (glibc only; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


def settle_heap() -> None:
    """Move what is alive now (the open index) out of the collector's way; call once it is open."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)
