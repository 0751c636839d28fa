"""`make mutate`'s summary: per mutated path, how many mutants mutmut tried, how many the tests
killed (a test failed, or the mutant hung past its time limit), how many survived, and which
survived. Reads mutmut's own records (mutants/<path>.meta) and writes
tests/artifacts/mutation.txt as well as printing it."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path("mutants")
REPORT = Path("tests/artifacts/mutation.txt")
KILLED = {"killed", "timeout", "caught by type check", "segfault"}


def summarise(root: Path = MUTANTS) -> tuple[list[str], list[str]]:
    """The table's lines and the surviving mutants' names."""
    lines = [f"{'path':44} {'tried':>6} {'killed':>6} {'survived':>8} {'no test':>7} {'score':>6}"]
    survivors: list[str] = []
    totals: Counter[str] = Counter()
    for meta in sorted(root.rglob("*.py.meta")):
        path = str(meta.relative_to(root)).removesuffix(".meta")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        counts: Counter[str] = Counter()
        for name, code in codes.items():
            status = status_by_exit_code[code]
            if status == "not checked":
                counts["untried"] += 1
                continue
            counts["tried"] += 1
            if status in KILLED:
                counts["killed"] += 1
            elif status == "no tests":
                counts["no test"] += 1
            else:
                counts["survived"] += 1
                survivors.append(name)
        totals.update(counts)
        lines.append(_line(path, counts))
    lines.append(_line("total", totals))
    if totals["untried"]:
        lines.append(f"({totals['untried']} mutants not tried yet: the run was stopped)")
    return lines, survivors


def _line(path: str, counts: Counter[str]) -> str:
    tried = counts["tried"]
    score = f"{100 * counts['killed'] / tried:.0f} %" if tried else "-"
    return (
        f"{path:44} {tried:>6} {counts['killed']:>6} {counts['survived']:>8} "
        f"{counts['no test']:>7} {score:>6}"
    )


def main() -> int:
    if not MUTANTS.exists():
        print("no mutmut results: run `make mutate`", file=sys.stderr)
        return 1
    lines, survivors = summarise()
    text = "\n".join(lines) + "\n\nsurvived:\n" + "\n".join(f"  {s}" for s in survivors) + "\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    print("\n".join(lines))
    print(f"\n{len(survivors)} surviving mutants listed in {REPORT}; `mutmut show NAME` shows one")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
