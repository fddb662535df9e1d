"""How long the map layout of a long journey takes (target: a 200-step journey in under 50 ms).

    python benchmarks/bench_layout.py [STEPS ...]

Prints, per journey size, the best of several runs of:
- layout, cold: the text-measurement cache emptied first (every word and line shaped by HarfBuzz);
- layout, warm: the cache kept from the previous run (a rebuild, or the same words on other maps);
- overview: the compact map of the same journey (warm);
- svg: drawing the full layout as SVG text.
The synthetic journeys have every lane filled with varied text (tests/test_layout.py builds them).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_layout import link, synthetic_journey, synthetic_site  # noqa: E402

from journeymap.layout import clear_caches, layout_journey  # noqa: E402
from journeymap.svg import map_svg  # noqa: E402

RUNS = 7


def best_of(runs: int, action, before=None) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, statistics.median(times) * 1000


def main(sizes: list[int]) -> None:
    site = synthetic_site()
    layout_journey(site, synthetic_journey(site, 3), link=link)  # load the fonts
    print(f"{'steps':>6} {'layout cold':>16} {'layout warm':>16} {'overview':>16} {'svg':>16}   (best / median, ms)")
    for steps in sizes:
        journey = synthetic_journey(site, steps)
        cold = best_of(RUNS, lambda: layout_journey(site, journey, link=link), before=clear_caches)
        warm = best_of(RUNS, lambda: layout_journey(site, journey, link=link))
        overview = best_of(RUNS, lambda: layout_journey(site, journey, link=link, overview=True))
        layout = layout_journey(site, journey, link=link)
        svg = best_of(3, lambda: map_svg(layout, id_prefix="map-"))
        cells = [f"{b:7.1f} / {m:6.1f}" for b, m in (cold, warm, overview, svg)]
        print(f"{steps:>6} " + " ".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [25, 50, 100, 200])
