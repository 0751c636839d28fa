"""Small-cell suppression: one-way and two-way tables, shares, and an independent brute-force
check that a reader who knows every published number cannot pin down any small count."""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping

import pytest

from courses import reach
from courses.reach import (
    K_MIN,
    SuppressedTable,
    check_k,
    share,
    suppress_count,
    suppress_counts,
    suppress_table,
)


# ----------------------------------------------------------------------------- threshold
@pytest.mark.parametrize("k", [4, 1, 0, -5])
def test_k_below_five_is_refused_everywhere(k: int) -> None:
    for call in (
        lambda: check_k(k),
        lambda: suppress_count(3, k),
        lambda: suppress_counts({"a": 3}, k),
        lambda: suppress_table({("a", "x"): 3}, k),
        lambda: share(1, 10, k),
    ):
        with pytest.raises(ValueError, match="at least 5"):
            call()


def test_k_defaults_to_five_and_can_be_raised() -> None:
    assert K_MIN == 5 and check_k(10) == 10
    assert suppress_count(4) is None and suppress_count(5) == 5
    assert suppress_count(9, k=10) is None and suppress_count(10, k=10) == 10


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        suppress_counts({"a": -1, "b": 10})
    with pytest.raises(ValueError, match="negative"):
        suppress_table({("a", "x"): -1})


# ----------------------------------------------------------------------------- one-way
@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # Nothing small: everything shown.
        ({"a": 5, "b": 12}, {"a": 5, "b": 12}),
        # Zeros are shown: a zero names nobody.
        ({"a": 0, "b": 7, "c": 9}, {"a": 0, "b": 7, "c": 9}),
        # One small cell: the smallest other non-zero cell is hidden with it.
        ({"a": 3, "b": 20, "c": 8, "d": 0}, {"a": None, "b": 20, "c": None, "d": 0}),
        # Two small cells whose sum is below k: one more cell.
        ({"a": 1, "b": 2, "c": 30, "d": 6}, {"a": None, "b": None, "c": 30, "d": None}),
        # Two small cells whose sum reaches k: enough.
        ({"a": 1, "b": 4, "c": 30}, {"a": None, "b": None, "c": 30}),
        ({"a": 2, "b": 3, "c": 30}, {"a": None, "b": None, "c": 30}),
        # Three small cells with a sum of at least k: enough.
        ({"a": 1, "b": 2, "c": 3, "d": 50}, {"a": None, "b": None, "c": None, "d": 50}),
        # Ties: the first of equal cells is hidden.
        ({"a": 4, "b": 9, "c": 9}, {"a": None, "b": None, "c": 9}),
        # Small and only one other cell: both hidden (the total is published).
        ({"a": 3, "b": 7}, {"a": None, "b": None}),
        # Total below k: every non-zero cell hidden.
        ({"a": 1, "b": 2, "c": 0}, {"a": None, "b": None, "c": 0}),
        ({"a": 4}, {"a": None}),
        # Empty and all-zero tables.
        ({}, {}),
        ({"a": 0, "b": 0}, {"a": 0, "b": 0}),
    ],
)
def test_suppress_counts(cells: dict[str, int], expected: dict[str, int | None]) -> None:
    assert suppress_counts(cells) == expected


def test_suppress_counts_with_a_higher_k() -> None:
    cells = {"a": 6, "b": 12, "c": 40}
    assert suppress_counts(cells, k=10) == {"a": None, "b": None, "c": 40}


def test_suppress_counts_keeps_key_order() -> None:
    assert list(suppress_counts({"z": 9, "a": 1, "m": 7})) == ["z", "a", "m"]


def test_total_published_with_suppress_count() -> None:
    assert suppress_count(sum({"a": 1, "b": 2}.values())) is None
    assert suppress_count(sum({"a": 1, "b": 4}.values())) == 5
    assert suppress_count(0) == 0


def _one_way_values(published: Mapping[str, int | None], total: int) -> dict[str, set[int]]:
    """Every value each hidden cell can take, given the shown cells and the total."""
    hidden = [key for key, v in published.items() if v is None]
    rest = total - sum(v for v in published.values() if v is not None)
    possible: dict[str, set[int]] = {key: set() for key in hidden}
    for values in itertools.product(range(total + 1), repeat=len(hidden)):
        if sum(values) == rest:
            for key, v in zip(hidden, values, strict=True):
                possible[key].add(v)
    return possible


def test_one_way_brute_force_on_random_tables() -> None:
    rng = random.Random(20250305)
    for _ in range(300):
        cells = {
            f"c{i}": rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12]) for i in range(rng.randint(1, 5))
        }
        total = sum(cells.values())
        published = suppress_counts(cells)
        for key, n in cells.items():
            if 0 < n < K_MIN:
                assert published[key] is None, cells
        if suppress_count(total) is None:
            continue  # the total is hidden too: the reader has no equation at all
        possible = _one_way_values(published, total)
        for key, values in possible.items():
            assert cells[key] in values
            assert len(values) >= 2, (cells, published, key)
        hidden = [cells[key] for key in possible]
        assert not hidden or (len(hidden) >= 2 and sum(hidden) >= K_MIN), (cells, published)


# ----------------------------------------------------------------------------- share
@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (5, 20, 25.0),
        (0, 20, 0.0),
        (20, 20, 100.0),
        (4, 20, None),  # small numerator
        (1, 20, None),
        (0, 4, None),  # small denominator
        (3, 4, None),
        (0, 0, None),  # no percentage exists
        (5, 5, 100.0),
    ],
)
def test_share(numerator: int, denominator: int, expected: float | None) -> None:
    result = share(numerator, denominator)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_share_with_a_higher_k() -> None:
    assert share(6, 100, k=10) is None
    assert share(10, 100, k=10) == pytest.approx(10.0)


@pytest.mark.parametrize(("numerator", "denominator"), [(6, 5), (-1, 5), (1, -5)])
def test_share_refuses_impossible_counts(numerator: int, denominator: int) -> None:
    with pytest.raises(ValueError, match=r"larger|negative"):
        share(numerator, denominator)


# ----------------------------------------------------------------------------- two-way
def table(rows: list[list[int]]) -> dict[tuple[str, str], int]:
    return {(f"r{r}", f"c{c}"): v for r, row in enumerate(rows) for c, v in enumerate(row)}


def test_nothing_small_nothing_hidden() -> None:
    result = suppress_table(table([[5, 10], [7, 0]]))
    assert result.hidden == frozenset()
    assert result.cells[("r1", "c1")] == 0
    assert result.row_totals == {"r0": 15, "r1": 7}
    assert result.column_totals == {"c0": 12, "c1": 10}
    assert result.total == 22


def test_one_small_cell_hides_a_rectangle() -> None:
    # The 3 is protected by hiding the smallest cells in its row and column, and the cell that
    # completes the rectangle (without it, the 6 and then the 3 would follow from row 1).
    result = suppress_table(table([[3, 6, 20], [8, 9, 30], [10, 40, 50]]))
    assert result.hidden == {("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")}
    assert result.row_totals == {"r0": 29, "r1": 47, "r2": 100}
    assert result.column_totals == {"c0": 21, "c1": 55, "c2": 100}
    assert result.total == 176


def test_small_row_total_hides_the_row_and_its_total() -> None:
    result = suppress_table(table([[1, 2, 0], [10, 20, 30], [15, 25, 35]]))
    assert result.row_totals["r0"] is None
    assert result.cells[("r0", "c0")] is None and result.cells[("r0", "c1")] is None
    assert result.cells[("r0", "c2")] == 0
    # Another row total is hidden so that the small one does not follow from the grand total.
    assert sum(1 for v in result.row_totals.values() if v is None) >= 2
    assert result.total == 138


def test_grand_total_below_k_hides_everything_but_zeros() -> None:
    result = suppress_table(table([[1, 0], [2, 1]]))
    assert result.total is None
    assert result.cells == {
        ("r0", "c0"): None,
        ("r0", "c1"): 0,
        ("r1", "c0"): None,
        ("r1", "c1"): None,
    }
    assert result.row_totals == {"r0": None, "r1": None}
    assert result.column_totals == {"c0": None, "c1": None}


def test_missing_pairs_count_as_zero_and_order_follows_the_keys() -> None:
    result = suppress_table({("Ñuble", "migrant"): 12, ("Arica", "not migrant"): 30})
    assert result.rows == ("Ñuble", "Arica") and result.columns == ("migrant", "not migrant")
    assert result.cells[("Ñuble", "not migrant")] == 0
    assert result.row_totals == {"Ñuble": 12, "Arica": 30}


def test_empty_table() -> None:
    assert suppress_table({}) == SuppressedTable((), (), {}, {}, {}, 0, frozenset())


def test_line_rules_alone_would_leave_a_small_cell_exposed() -> None:
    # Found by the random search below: after every row and column has two hidden cells with a
    # sum of at least 5, the 1 in row 0 is still a bridge between two separate rectangles of
    # hidden cells, so the published numbers give it away. The cycle step must fix that.
    rows = [[0, 1, 4, 0], [1, 6, 12, 7], [0, 0, 5, 0]]
    result = suppress_table(table(rows))
    assert result.cells[("r0", "c1")] is None
    _assert_protected(rows, result)


# ----------------------------------------------------------------------------- brute force
Grid = dict[tuple[int, int], int]


def _published_grid(result: SuppressedTable) -> dict[tuple[int, int], int | None]:
    """The published table with its totals as one grid: last row and last column are totals."""
    n_rows, n_cols = len(result.rows), len(result.columns)
    grid: dict[tuple[int, int], int | None] = {}
    for r, row in enumerate(result.rows):
        for c, column in enumerate(result.columns):
            grid[(r, c)] = result.cells[(row, column)]
        grid[(r, n_cols)] = result.row_totals[row]
    for c, column in enumerate(result.columns):
        grid[(n_rows, c)] = result.column_totals[column]
    grid[(n_rows, n_cols)] = result.total
    return grid


def _propagate(
    equations: list[tuple[list[tuple[int, int]], int]], lo: list[int], hi: list[int]
) -> tuple[list[int], list[int]] | None:
    """Tighten lo <= x <= hi with every equation sum(coef * x) == const until nothing changes;
    None when some equation cannot hold."""
    lo, hi = list(lo), list(hi)
    changed = True
    while changed:
        changed = False
        for terms, const in equations:
            low = sum(min(a * lo[i], a * hi[i]) for i, a in terms)
            high = sum(max(a * lo[i], a * hi[i]) for i, a in terms)
            if low > const or high < const:
                return None
            for i, a in terms:
                others_low = low - min(a * lo[i], a * hi[i])
                others_high = high - max(a * lo[i], a * hi[i])
                if a == 1:
                    new_lo, new_hi = const - others_high, const - others_low
                else:
                    new_lo, new_hi = others_low - const, others_high - const
                if new_lo > lo[i] or new_hi < hi[i]:
                    lo[i], hi[i] = max(lo[i], new_lo), min(hi[i], new_hi)
                    if lo[i] > hi[i]:
                        return None
                    changed = True
                    low = sum(min(b * lo[j], b * hi[j]) for j, b in terms)
                    high = sum(max(b * lo[j], b * hi[j]) for j, b in terms)
    return lo, hi


def _feasible(
    equations: list[tuple[list[tuple[int, int]], int]], lo: list[int], hi: list[int]
) -> bool:
    """Is there an integer solution of every equation within the bounds? Propagation, then
    splitting the widest unknown in two."""
    bounds = _propagate(equations, lo, hi)
    if bounds is None:
        return False
    lo, hi = bounds
    open_ = [i for i in range(len(lo)) if lo[i] < hi[i]]
    if not open_:
        return True
    i = max(open_, key=lambda j: hi[j] - lo[j])
    middle = (lo[i] + hi[i]) // 2
    left_hi, right_lo = list(hi), list(lo)
    left_hi[i], right_lo[i] = middle, middle + 1
    return _feasible(equations, lo, left_hi) or _feasible(equations, right_lo, hi)


def _possible_values(
    grid: Mapping[tuple[int, int], int | None],
    n_rows: int,
    n_cols: int,
    cap: int,
    cells: set[tuple[int, int]],
) -> dict[tuple[int, int], set[int]]:
    """For each hidden number in `cells`, every value from 0 to `cap` that some table agreeing
    with all the published numbers gives it. The reader knows: every row adds up to its total,
    every column too, the totals add up to the grand total, and hidden numbers are between 0 and
    the totals."""
    unknowns = sorted(cell for cell, v in grid.items() if v is None)
    index = {cell: i for i, cell in enumerate(unknowns)}
    lines = [([(r, c) for c in range(n_cols)], (r, n_cols)) for r in range(n_rows + 1)]
    lines += [([(r, c) for r in range(n_rows)], (n_rows, c)) for c in range(n_cols + 1)]
    equations = []
    for members, total in lines:
        terms: list[tuple[int, int]] = []
        const = 0
        for cell, coef in [(m, 1) for m in members] + [(total, -1)]:
            value = grid[cell]
            if value is None:
                terms.append((index[cell], coef))
            else:
                const -= coef * value
        if terms:
            equations.append((terms, const))
        else:
            assert const == 0, "the published numbers must agree with each other"
    # Values outside the bounds propagation finds are impossible; each value inside is tried.
    root = _propagate(equations, [0] * len(unknowns), [cap] * len(unknowns))
    assert root is not None, "the published numbers must agree with each other"
    possible: dict[tuple[int, int], set[int]] = {}
    for cell in unknowns:
        if cell not in cells:
            continue
        values = set()
        for v in range(root[0][index[cell]], root[1][index[cell]] + 1):
            lo, hi = list(root[0]), list(root[1])
            lo[index[cell]] = hi[index[cell]] = v
            if _feasible(equations, lo, hi):
                values.add(v)
        possible[cell] = values
    return possible


def _assert_protected(rows: list[list[int]], result: SuppressedTable, k: int = K_MIN) -> None:
    n_rows, n_cols = len(rows), len(rows[0])
    truth: Grid = {(r, c): rows[r][c] for r in range(n_rows) for c in range(n_cols)}
    for r in range(n_rows):
        truth[(r, n_cols)] = sum(rows[r])
    for c in range(n_cols + 1):
        truth[(n_rows, c)] = sum(truth[(r, c)] for r in range(n_rows))
    grid = _published_grid(result)
    for cell, value in grid.items():
        assert value is None or value == truth[cell], "a published number is wrong"
        if 0 < truth[cell] < k:
            assert value is None, f"small number {truth[cell]} at {cell} is published"
    # The line rule: with its total shown, a line hides nothing, or at least two cells adding up
    # to k or more; with its total hidden, it hides at least one cell (else the total is a sum).
    lines = [([(r, c) for c in range(n_cols)], (r, n_cols)) for r in range(n_rows + 1)]
    lines += [([(r, c) for r in range(n_rows)], (n_rows, c)) for c in range(n_cols + 1)]
    for members, total in lines:
        hidden = [truth[m] for m in members if grid[m] is None]
        if grid[total] is not None:
            assert not hidden or (len(hidden) >= 2 and sum(hidden) >= k), (rows, members)
        else:
            assert hidden, (rows, total)
    grand = grid[(n_rows, n_cols)]
    # With the grand total published every number lies between 0 and it; without it the reader
    # has no upper bound, and any cap above the true values will do.
    cap = grand if grand is not None else 2 * truth[(n_rows, n_cols)] + k
    small = {cell for cell, v in truth.items() if 0 < v < k}
    possible = _possible_values(grid, n_rows, n_cols, cap, small)
    for cell, values in possible.items():
        assert truth[cell] in values, "the solver missed the true table"
        assert len(values) >= 2, f"{rows}: the {truth[cell]} at {cell} can be worked out"


def test_two_way_brute_force_on_random_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Random small tables, each checked by an independent solver that knows only the
    published numbers. Also counts the tables where the cycle step had to act, so the sample is
    known to exercise it."""
    cycle_steps = 0
    close_cycle = reach._close_cycle

    def counting(*args: object, **kwargs: object) -> set[tuple[int, int]]:
        nonlocal cycle_steps
        cycle_steps += 1
        return close_cycle(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reach, "_close_cycle", counting)
    rng = random.Random(42)
    pool = [0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 9, 12]
    for _ in range(350):
        n_rows, n_cols = rng.randint(1, 4), rng.randint(1, 4)
        rows = [[rng.choice(pool) for _ in range(n_cols)] for _ in range(n_rows)]
        _assert_protected(rows, suppress_table(table(rows)))
    assert cycle_steps >= 2


@pytest.mark.parametrize(
    "rows",
    [
        [[1]],
        [[7]],
        [[1, 9]],
        [[3], [8]],
        [[4, 4], [4, 4]],
        [[1, 1], [1, 1]],
        [[0, 0], [0, 3]],
        [[0, 12, 0], [0, 0, 1], [9, 0, 0]],
        [[1, 50, 50], [50, 50, 50], [50, 50, 50]],
        [[6, 7], [8, 9]],
    ],
)
def test_two_way_edge_cases(rows: list[list[int]]) -> None:
    _assert_protected(rows, suppress_table(table(rows)))


def test_two_way_with_a_higher_k() -> None:
    rows = [[6, 20, 11], [15, 9, 30], [12, 40, 25]]
    result = suppress_table(table(rows), k=10)
    _assert_protected(rows, result, k=10)
    assert result.cells[("r0", "c0")] is None and result.cells[("r1", "c1")] is None
