"""Benchmark for journeymap.textmeasure: measuring 100,000 short strings.

Run:  python benchmarks/bench_textmeasure.py
Prints wall-clock figures; the target is < 1 s for 100,000 short strings.
"""

from __future__ import annotations

import random
import string
import time

from journeymap import textmeasure as tm

N = 100_000


def _words(rng: random.Random, alphabet: str, n: int) -> list[str]:
    return [
        " ".join(
            "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 9)))
            for _ in range(rng.randint(1, 4))
        )
        for _ in range(n)
    ]


def _run(label: str, func, items) -> float:
    start = time.perf_counter()
    for item in items:
        func(item)
    elapsed = time.perf_counter() - start
    print(f"{label:<58} {elapsed:7.3f} s  ({elapsed / len(items) * 1e6:6.2f} µs/call)")
    return elapsed


def main() -> None:
    rng = random.Random(42)
    start = time.perf_counter()
    tm.measure("warm-up", 14)
    tm.measure("warm-up", 14, bold=True)
    print(f"{'font loading (regular + bold)':<58} {time.perf_counter() - start:7.3f} s")

    ascii_strings = _words(rng, string.ascii_letters + string.digits, N)
    latin_strings = _words(rng, string.ascii_lowercase + "éèàçüöñßøå’–", N)
    mixed_strings = _words(rng, string.ascii_lowercase + "日本語テキスト한국😀🇯🇵שלום", N)
    repeated = [rng.choice(ascii_strings[:2_000]) for _ in range(N)]

    tm.clear_cache()
    _run(f"{N:,} distinct ASCII strings (cold cache)", lambda s: tm.measure(s, 14), ascii_strings)
    _run(f"{N:,} same strings again (warm cache)", lambda s: tm.measure(s, 14), ascii_strings)
    _run(f"{N:,} same strings, other size (warm cache)", lambda s: tm.measure(s, 18), ascii_strings)
    tm.clear_cache()
    _run(f"{N:,} calls over 2,000 distinct strings", lambda s: tm.measure(s, 14), repeated)
    tm.clear_cache()
    _run(f"{N:,} distinct accented-Latin strings (cold)", lambda s: tm.measure(s, 14), latin_strings)
    tm.clear_cache()
    _run(f"{N:,} distinct CJK/emoji/Hebrew mixes (cold)", lambda s: tm.measure(s, 14), mixed_strings)

    tm.clear_cache()
    labels = _words(rng, string.ascii_lowercase, 10_000)
    labels = [f"{a} {b} {c}" for a, b, c in zip(labels, labels[1:], labels[2:])]
    _run(f"{len(labels):,} wrap() of ~9-word labels into 120 px (cold)",
         lambda s: tm.wrap(s, 120, 14, max_lines=3), labels)

    text = "Customer journey onboarding activation retention " * 40
    start = time.perf_counter()
    for _ in range(20):
        tm.subset_font_data_uri(tm.font_files()["regular"], text + str(_))
    elapsed = time.perf_counter() - start
    print(f"{'subset_font_data_uri (WOFF2 subset), per call':<58} {elapsed / 20 * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
