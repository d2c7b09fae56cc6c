"""Run the benchmarks (B1–B5; B6 on request) and print one table, each target beside its measurement.

    python bench/run.py            # the full run recorded in bench/RESULTS.md
    python bench/run.py --quick    # tiny sizes, no nbval: checks the benchmarks still work
    python bench/run.py --only B6  # 300 students against `smtplearn server` (about a minute)

Benchmarks print; tests never time. See bench/RESULTS.md for recorded runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Row, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes and no nbval (a smoke run)")
    parser.add_argument("--no-nbval", action="store_true", help="skip timing the notebooks")
    parser.add_argument(
        "--only",
        default="B1,B2,B3,B4,B5",
        help="comma-separated benchmarks to run (B6, the classroom, only when named)",
    )
    parser.add_argument("--students", type=int, help="B6's class size (default 300, or 20 with --quick)")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)

    # Import after argument parsing so that --help works even when a dependency is missing.
    import classroom
    import roundtrips
    import server_load
    import startup
    import throughput

    quick = args.quick
    only = {name.strip().upper() for name in args.only.split(",")}
    sizes = {
        "messages": 5 if quick else 200,
        "rounds": 1 if quick else 5,
        "delayed": 2 if quick else 10,
        "clients": 5 if quick else 100,
        "per_client": 2 if quick else 20,
        "load_rounds": 1 if quick else 3,
        "starts": 3 if quick else 30,
        "students": args.students or (20 if quick else 300),
    }
    rows: list[Row] = []
    began = time.perf_counter()
    if "B1" in only:
        rows += throughput.rows("B1", 1, throughput.measure(1, sizes["messages"], sizes["rounds"]))
    if "B2" in only:
        rows += throughput.rows("B2", 20, throughput.measure(20, sizes["messages"] // 2, sizes["rounds"]))
    if "B3" in only:
        rows += roundtrips.rows(sizes["delayed"])
    if "B4" in only:
        rows += server_load.rows(sizes["clients"], sizes["per_client"], sizes["load_rounds"])
    if "B5" in only:
        rows += startup.rows(sizes["starts"], nbval=not (quick or args.no_nbval))
    if "B6" in only:
        rows += classroom.rows(sizes["students"])

    print(
        f"smtplearn benchmarks{' (--quick)' if quick else ''}: python {platform.python_version()}, "
        f"{platform.machine()}, {time.perf_counter() - began:.0f} s"
    )
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
