"""Start-up of the CLI: `lbpy --help` against a bare two-command Typer app, and `lbpy new-app --yes`.

    python bench/bench_startup.py [--runs 20]

Each command runs as a fresh process, the two sides alternating; figures are medians of wall time
and of the process's CPU time (user + system), which a busy shared machine disturbs much less.
Targets: `lbpy --help` no slower than the bare Typer app; `lbpy new-app --yes` under 0.35 s.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import table

HERE = Path(__file__).resolve().parent


def timed(argv: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall time and CPU time of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    lbpy = shutil.which("lbpy") or sys.exit("lbpy is not on PATH; pip install -e . first")
    help_lbpy, help_typer, new_app = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs + 2):
            a = timed([lbpy, "--help"])
            b = timed([sys.executable, str(HERE / "reference_cli.py"), "--help"])
            c = timed([lbpy, "new-app", f"app{i}", "--yes"], cwd=Path(tmp))
            if i >= 2:  # the first runs warm the file cache
                help_lbpy.append(a), help_typer.append(b), new_app.append(c)

    def ms(runs: list[tuple[float, float]], which: int) -> float:
        return statistics.median(run[which] for run in runs) * 1000

    rows = []
    for label, which in (("wall", 0), ("CPU", 1)):
        mine, ref = ms(help_lbpy, which), ms(help_typer, which)
        rows.append(
            [
                f"lbpy --help ({label})",
                f"{mine:.0f} ms",
                f"{ref:.0f} ms (bare 2-command Typer app)",
                f"{mine / ref:.2f}",
                "≤ 1.0 (within noise)",
            ]
        )
    rows.append(
        [
            "lbpy new-app NAME --yes (wall)",
            f"{ms(new_app, 0):.0f} ms",
            "",
            "",
            "< 350 ms: " + ("ok" if ms(new_app, 0) < 350 else "MISSED"),
        ]
    )
    rows.append(["lbpy new-app NAME --yes (CPU)", f"{ms(new_app, 1):.0f} ms", "", "", ""])
    print(table(rows, ["command", "median", "reference", "ratio", "target"]))
    print(f"({args.runs} runs each, alternating; lbpy = {lbpy})")


if __name__ == "__main__":
    main()
