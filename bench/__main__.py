"""``python -m bench`` (``make bench``): every benchmark, each printing its table of measured
figures, then one line per target, met or missed by how much.

Everything runs on 127.0.0.1 against the sandbox's stand-ins with an injected upstream latency
(``--latency``, default 0.1 s per call), on throw-away SQLite databases (and PostgreSQL for the
all-invoices reads when 127.0.0.1:5432 answers). The exit status is 0 whether targets are met
or not: this is a measurement; the summary says which are missed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

from bench import create_invoice, live_status, memory, mirror_paging, panel
from bench.report import Section, print_section, summary_lines

__all__ = ["main"]


def _benchmarks(args: argparse.Namespace) -> dict[str, Callable[[], Coroutine[Any, Any, Section]]]:
    return {
        "panel": lambda: panel.run(args.latency, args.minute),
        "create": lambda: create_invoice.run(args.latency),
        "paging": lambda: mirror_paging.run(args.rows),
        "memory": memory.run,
        "bursts": live_status.run_bursts,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per upstream call")
    parser.add_argument("--rows", type=int, default=100_000, help="mirrored invoices, large case")
    parser.add_argument(
        "--minute", type=float, default=20.0,
        help="seconds the 100 panel opens are spread over (a minute or less)",
    )  # fmt: skip
    parser.add_argument("--only", action="append", help="run only these (repeatable)")
    args = parser.parse_args(argv)
    chosen = _benchmarks(args)
    if args.only:
        chosen = {name: chosen[name] for name in args.only}
    started = time.perf_counter()
    sections: list[Section] = []
    for benchmark in chosen.values():
        began = time.perf_counter()
        section = asyncio.run(benchmark())
        section.notes.append(f"took {time.perf_counter() - began:.0f} s")
        print_section(section)
        sections.append(section)
    print(f"\n== Summary (L = {args.latency * 1000:.0f} ms, {time.perf_counter() - started:.0f} s)")
    print("\n".join(summary_lines(sections)))


if __name__ == "__main__":
    main()
