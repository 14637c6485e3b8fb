"""Render every sample unit in every channel, cold and warm, and print the medians as JSON.

Cold: the render cache is emptied before each render, so the renderer itself runs
(the parsed unit and the per-value fact formatting memo stay, as they would in a
running process). Warm: the same render again, served from the cache. For each
channel, the figure is the median over units of each unit's median time.
Targets: cold ≤ 2 ms, warm ≤ 0.05 ms per unit per channel.

    .venv/bin/python bench/render_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import renderers  # noqa: E402
from renderers import RENDERERS, RenderOptions, clear_render_cache, render  # noqa: E402
from tests.renderers.support import load_facts, sample_units, slugs_by_locale  # noqa: E402

COLD_TARGET_MS = 2.0
WARM_TARGET_MS = 0.05


def _median_ms(samples: list[int]) -> float:
    return statistics.median(samples) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21, help="timed renders per unit and channel")
    args = parser.parse_args()
    units = sample_units()
    facts = load_facts()
    slugs = slugs_by_locale(units)
    options = {u.locale: RenderOptions(articles=slugs[u.locale], base_url="https://help.example") for u in units}
    # One untimed pass: imports, CLDR data and the fact formatting memo are loaded once per process.
    for unit in units:
        for channel in RENDERERS:
            render(channel, unit=unit, facts=facts, options=options[unit.locale])
    report: dict[str, dict[str, float]] = {}
    for channel in RENDERERS:
        cold_per_unit, warm_per_unit = [], []
        for unit in units:
            opts = options[unit.locale]
            cold: list[int] = []
            for _ in range(args.repeat):
                clear_render_cache()
                start = time.perf_counter_ns()
                render(channel, unit=unit, facts=facts, options=opts)
                cold.append(time.perf_counter_ns() - start)
            warm: list[int] = []
            for _ in range(args.repeat):
                start = time.perf_counter_ns()
                render(channel, unit=unit, facts=facts, options=opts)
                warm.append(time.perf_counter_ns() - start)
            cold_per_unit.append(_median_ms(cold))
            warm_per_unit.append(_median_ms(warm))
        report[channel] = {
            "cold_ms_median": round(statistics.median(cold_per_unit), 4),
            "cold_ms_max_unit": round(max(cold_per_unit), 4),
            "warm_ms_median": round(statistics.median(warm_per_unit), 4),
            "warm_ms_max_unit": round(max(warm_per_unit), 4),
        }
    cold_worst = max(r["cold_ms_median"] for r in report.values())
    warm_worst = max(r["warm_ms_median"] for r in report.values())
    print(
        json.dumps(
            {
                "benchmark": "render",
                "units": len(units),
                "channels": report,
                "repeat": args.repeat,
                "targets_ms": {"cold": COLD_TARGET_MS, "warm": WARM_TARGET_MS},
                "cold_ok": cold_worst <= COLD_TARGET_MS,
                "warm_ok": warm_worst <= WARM_TARGET_MS,
                "cache": renderers.render_cache_info(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
