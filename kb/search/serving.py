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
"""

from __future__ import annotations

import gc
import os

import threadpoolctl


def limit_math_threads() -> None:
    """One BLAS thread for this process (or `ISTOK_BLAS_THREADS`); call before the index opens."""
    threadpoolctl.threadpool_limits(limits=int(os.environ.get("ISTOK_BLAS_THREADS", "1")))


def settle_heap() -> None:
    """Move what is alive now (the open index) out of the collector's way; call once it is open."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 50)
