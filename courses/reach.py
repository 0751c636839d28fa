"""Small-cell suppression for the programme team's reports (reach by region, migrant and
indigenous participation, follow-up outcomes), so that no count of fewer than `k` women can be
read or worked out from a published table.

Primary suppression hides every count with 0 < n < k. Complementary suppression then hides more
cells wherever a hidden count could still be recovered from the published totals: in every line
(a row or a column with its total) the hidden cells must be either none, or at least two whose sum
is at least k. For two-way tables, the rows and columns are repeated until nothing changes, and
then every small cell is checked against the whole table: it must lie on a cycle of hidden cells
(see `_bridges`), otherwise the cheapest cells that close one are hidden too. A reader who knows
every published number and that counts are whole numbers from 0 up can then find at least two
values for every small count. Zeros are never hidden: a zero names nobody, and keeping hidden
cells non-zero is what makes the cycle check sufficient.

`k` is 5 by default and can only be raised.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

K_MIN = 5


def check_k(k: int) -> int:
    """The threshold, refused below `K_MIN`: a lower k would publish counts of 1 to 4 women."""
    if k < K_MIN:
        raise ValueError(f"k must be at least {K_MIN}, got {k}")
    return k


def _check_counts(values: Sequence[int]) -> None:
    for n in values:
        if n < 0:
            raise ValueError(f"counts cannot be negative, got {n}")


def suppress_count(n: int, k: int = K_MIN) -> int | None:
    """A single published number (a total, a headline count): hidden when 0 < n < k."""
    check_k(k)
    _check_counts([n])
    return None if 0 < n < k else n


def _protect_line(
    values: Sequence[int], hidden: set[int], total: int, total_hidden: bool, k: int
) -> tuple[set[int], bool]:
    """Complementary suppression in one line: which more members to hide, and whether the total
    must be hidden as well (when no member is left to hide).

    With the total shown, the hidden members' sum is known: it must come from at least two cells
    and be at least k, or a reader learns a small count or narrows it too much. With the total
    hidden, at least one member must be hidden, or the total is their plain sum.
    """
    shown = sorted((v, i) for i, v in enumerate(values) if i not in hidden and v > 0)
    extra: set[int] = set()
    count = sum(1 for i in range(len(values)) if i in hidden)
    hidden_sum = sum(values[i] for i in hidden)
    if total_hidden:
        if count == 0 and total > 0:
            extra.add(shown[0][1])
        return extra, False
    for value, index in shown:
        if count == 0 or (count >= 2 and hidden_sum >= k):
            break
        extra.add(index)
        count += 1
        hidden_sum += value
    needs_total = count == 1 or (count >= 2 and hidden_sum < k)
    return extra, needs_total


def suppress_counts(cells: Mapping[str, int], k: int = K_MIN) -> dict[str, int | None]:
    """A one-way table whose total is published: each count, or None where it is hidden.

    Every count with 0 < n < k is hidden; then, if the hidden sum could still be recovered
    exactly (one hidden cell) or is below k, the smallest non-zero shown counts are hidden too,
    until at least two are hidden and their sum is at least k. When the total itself is below k
    every non-zero count is hidden; publish the total with `suppress_count(sum(...), k)`, which
    then hides it too.
    """
    check_k(k)
    keys = list(cells)
    values = [cells[key] for key in keys]
    _check_counts(values)
    total = sum(values)
    hidden = {i for i, v in enumerate(values) if 0 < v < k}
    extra, _ = _protect_line(values, hidden, total, suppress_count(total, k) is None, k)
    hidden |= extra
    return {key: None if i in hidden else values[i] for i, key in enumerate(keys)}


def share(numerator: int, denominator: int, k: int = K_MIN) -> float | None:
    """`numerator` as a percentage of `denominator`, or None when either is a small count
    (0 < n < k) or the denominator is 0 (no percentage exists)."""
    check_k(k)
    _check_counts([numerator, denominator])
    if numerator > denominator:
        raise ValueError(f"numerator {numerator} is larger than denominator {denominator}")
    if denominator == 0 or 0 < numerator < k or 0 < denominator < k:
        return None
    return 100 * numerator / denominator


# ----------------------------------------------------------------------------- two-way tables
Cell = tuple[int, int]  # (row, column) in the table with its totals; the last row/column are totals
Vertex = tuple[str, int]  # ("r", row) or ("c", column): a line of the table
Cost = tuple[int, int, int]  # grand total hidden, cells newly hidden, their sum


@dataclass(frozen=True)
class SuppressedTable:
    """A two-way table ready to publish: None wherever a number is hidden."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: Mapping[tuple[str, str], int | None]
    row_totals: Mapping[str, int | None]
    column_totals: Mapping[str, int | None]
    total: int | None
    hidden: frozenset[tuple[str, str]]  # the inner cells hidden (primary and complementary)


def _lines(n_rows: int, n_cols: int) -> list[tuple[list[Cell], Cell]]:
    """Every line of the table with its totals: members and the total they add up to. The row of
    column totals adds up to the grand total, and so does the column of row totals."""
    lines = [([(r, c) for c in range(n_cols)], (r, n_cols)) for r in range(n_rows + 1)]
    lines += [([(r, c) for r in range(n_rows)], (n_rows, c)) for c in range(n_cols + 1)]
    return lines


def _bridges(hidden: set[Cell]) -> set[Cell]:
    """Hidden cells on no cycle of hidden cells.

    Every line's equation ties a row to a column, so the hidden cells are the edges of a
    bipartite graph between lines (rows and columns, totals included). Published numbers then
    determine a hidden cell exactly when it is a bridge of that graph; a hidden cell on a cycle
    can move by one up and down the cycle (all hidden cells are at least 1), so at least two
    values stay possible.
    """
    graph: dict[Vertex, list[tuple[Vertex, Cell]]] = {}
    for r, c in hidden:
        graph.setdefault(("r", r), []).append((("c", c), (r, c)))
        graph.setdefault(("c", c), []).append((("r", r), (r, c)))
    order: dict[Vertex, int] = {}
    low: dict[Vertex, int] = {}
    found: set[Cell] = set()
    for root in sorted(graph):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack = [(root, (-1, -1), iter(graph[root]))]
        while stack:
            vertex, via, edges = stack[-1]
            for neighbour, cell in edges:
                if cell == via:
                    continue
                if neighbour in order:
                    low[vertex] = min(low[vertex], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = len(order)
                    stack.append((neighbour, cell, iter(graph[neighbour])))
                    break
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                    if low[vertex] > order[parent]:
                        found.add(via)
    return found


def _close_cycle(
    bridge: Cell, hidden: set[Cell], values: Mapping[Cell, int], grand: Cell
) -> set[Cell]:
    """The cheapest set of shown non-zero cells whose hiding puts `bridge` on a cycle: the
    fewest cells, avoiding the grand total, then the smallest counts (Dijkstra from the bridge's
    row to its column without the bridge itself)."""
    start, goal = ("r", bridge[0]), ("c", bridge[1])
    graph: dict[Vertex, list[tuple[Vertex, Cell]]] = {}
    for cell, value in values.items():
        if cell == bridge or value == 0:
            continue
        r, c = cell
        graph.setdefault(("r", r), []).append((("c", c), cell))
        graph.setdefault(("c", c), []).append((("r", r), cell))
    best: dict[Vertex, Cost] = {start: (0, 0, 0)}
    back: dict[Vertex, tuple[Vertex, Cell]] = {}
    queue: list[tuple[Cost, Vertex]] = [((0, 0, 0), start)]
    while queue:
        cost, vertex = heapq.heappop(queue)
        if vertex == goal:
            break
        if cost > best[vertex]:
            continue
        for neighbour, cell in graph.get(vertex, []):
            if cell in hidden:
                step: Cost = (0, 0, 0)
            else:
                step = (int(cell == grand), 1, values[cell])
            new = (cost[0] + step[0], cost[1] + step[1], cost[2] + step[2])
            if neighbour not in best or new < best[neighbour]:
                best[neighbour] = new
                back[neighbour] = (vertex, cell)
                heapq.heappush(queue, (new, neighbour))
    assert goal in back, "every non-zero cell lies on row total, column total and grand total"
    added: set[Cell] = set()
    vertex = goal
    while vertex != start:
        vertex, cell = back[vertex]
        if cell not in hidden:
            added.add(cell)
    return added


def suppress_table(cells: Mapping[tuple[str, str], int], k: int = K_MIN) -> SuppressedTable:
    """A two-way table (keys are (row, column); a missing pair counts 0) published with its row,
    column and grand totals.

    Primary: every count, total included, with 0 < n < k is hidden. Complementary: the one-way
    rule is applied to every row and every column (and to the row of column totals and the
    column of row totals, which add up to the grand total), over and over until nothing changes,
    since hiding in a column can require hiding in a row; a line whose total is hidden needs at
    least one hidden member, and a line with a single hidden member and nothing left to hide has
    its total hidden. Finally every small hidden number must lie on a cycle of hidden numbers;
    if one does not, the cheapest cells that close a cycle through it are hidden and the rows
    and columns are checked again. The grand total is hidden only when it is below k or when
    nothing else can protect a cell.
    """
    check_k(k)
    _check_counts(list(cells.values()))
    rows = tuple(dict.fromkeys(r for r, _ in cells))
    columns = tuple(dict.fromkeys(c for _, c in cells))
    n_rows, n_cols = len(rows), len(columns)
    values: dict[Cell, int] = {}
    for r, row in enumerate(rows):
        for c, column in enumerate(columns):
            values[(r, c)] = cells.get((row, column), 0)
    for r in range(n_rows):
        values[(r, n_cols)] = sum(values[(r, c)] for c in range(n_cols))
    for c in range(n_cols + 1):
        values[(n_rows, c)] = sum(values[(r, c)] for r in range(n_rows))
    grand = (n_rows, n_cols)

    primary = {cell for cell, v in values.items() if 0 < v < k}
    hidden = set(primary)
    lines = _lines(n_rows, n_cols)
    while True:
        changed = False
        for members, total in lines:
            member_values = [values[m] for m in members]
            member_hidden = {i for i, m in enumerate(members) if m in hidden}
            extra, needs_total = _protect_line(
                member_values, member_hidden, values[total], total in hidden, k
            )
            new = {members[i] for i in extra}
            if needs_total:
                new.add(total)
            if new - hidden:
                hidden |= new
                changed = True
        if changed:
            continue
        exposed = sorted(_bridges(hidden) & primary)
        if not exposed:
            break
        hidden |= _close_cycle(exposed[0], hidden, values, grand)
    assert all(values[cell] > 0 for cell in hidden), "zeros are never hidden"

    def shown(cell: Cell) -> int | None:
        return None if cell in hidden else values[cell]

    return SuppressedTable(
        rows=rows,
        columns=columns,
        cells={
            (row, column): shown((r, c))
            for r, row in enumerate(rows)
            for c, column in enumerate(columns)
        },
        row_totals={row: shown((r, n_cols)) for r, row in enumerate(rows)},
        column_totals={column: shown((n_rows, c)) for c, column in enumerate(columns)},
        total=shown(grand),
        hidden=frozenset((rows[r], columns[c]) for r, c in hidden if r < n_rows and c < n_cols),
    )
