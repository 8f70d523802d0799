"""Similar-submission detection by token winnowing (Schleimer, Wilkerson & Aiken 2003, the method of MOSS).

Each code cell is reduced to a stream of normalised tokens: comments, formatting and
layout disappear, every name becomes ``V``, every number ``N`` and every string ``S``
(keywords, operators and attribute names such as ``.quantile`` stay, since renaming a
variable does not change them). Every ``k`` consecutive tokens form a k-gram with a
deterministic 64-bit hash; in every window of ``w`` consecutive k-gram hashes the
smallest (the rightmost one on ties) is kept as a fingerprint. Any shared run of at
least ``w + k - 1`` tokens is then guaranteed to share a fingerprint, and runs shorter
than ``k`` tokens never count.

Two submissions are compared on their fingerprint sets, after removing the
fingerprints of the code the notebook gave everyone (the starter notebook, MOSS's
"base file") and those present in more than ``max_share`` submissions (MOSS's ``-m``:
code that many students write alike says nothing about any pair). A pair is flagged
when the Jaccard index of the two sets reaches a threshold. A flag is a prompt for a
human look, never a verdict.
"""

from __future__ import annotations

import functools
import hashlib
import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Fingerprinted",
    "Pair",
    "fingerprint",
    "fingerprint_cells",
    "kgram_hashes",
    "normalise",
    "similar_pairs",
    "winnow",
]

K = 12
W = 8
THRESHOLD = 0.5
MIN_FINGERPRINTS = 8
MAX_SHARE = 10

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>(?:[rRbBuUfF]{0,2})(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'))
  | (?P<number>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%@&|^=<>!]=|[-+*/%@&|^~<>=()\[\]{}.,:;])
  | (?P<space>\s+|\\\n)
  | (?P<other>.)
    """,
    re.VERBOSE,
)
_KEYWORDS = frozenset(keyword.kwlist) | {"match", "case"}


def normalise(source: str) -> list[str]:
    """Tokens of ``source`` with names, literals, comments and layout abstracted away.

    Parameters
    ----------
    source : str
        Python source (need not parse: unbalanced or partial code still tokenises).

    Returns
    -------
    list of str
        ``V`` for every name, ``N`` for numbers, ``S`` for strings, keywords and
        operators as written, and ``.attr`` for an attribute name after a dot.

    Examples
    --------
    >>> normalise("total = x + 1  # add one")
    ['V', '=', 'V', '+', 'N']
    """
    out: list[str] = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        text = match.group()
        if kind in ("comment", "space", "other"):
            continue
        if kind == "string":
            out.append("S")
        elif kind == "number":
            out.append("N")
        elif kind == "name":
            if text in _KEYWORDS:
                out.append(text)
            elif out and out[-1] == ".":
                out[-1] = "." + text
            else:
                out.append("V")
        else:
            out.append(text)
    return out


def _token_id(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")


_IDS: dict[str, int] = {}
_MASK = (1 << 64) - 1
_BASE = 1_000_003


def kgram_hashes(tokens: Sequence[str], k: int = K) -> list[int]:
    """Deterministic 64-bit hash of every k-gram of ``tokens`` (none when fewer than ``k`` tokens).

    The hash is a polynomial of per-token 64-bit digests (BLAKE2b), so it is the same in
    every process and on every machine (Python's ``hash`` of a string is not).
    """
    ids = []
    for token in tokens:
        value = _IDS.get(token)
        if value is None:
            value = _IDS[token] = _token_id(token)
        ids.append(value)
    if len(ids) < k:
        return []
    # rolling polynomial hash: h(i+1) = (h(i) - id(i) * BASE^(k-1)) * BASE + id(i+k)  (mod 2^64)
    top = pow(_BASE, k - 1, 1 << 64)
    h = 0
    for value in ids[:k]:
        h = (h * _BASE + value) & _MASK
    out = [h]
    for i in range(len(ids) - k):
        h = ((h - ids[i] * top) * _BASE + ids[i + k]) & _MASK
        out.append(h)
    return out


def winnow(hashes: Sequence[int], w: int = W) -> list[tuple[int, int]]:
    """Robust winnowing: the minimum of every window of ``w`` hashes, each selection recorded once.

    On ties the selection of the previous window is kept while it is still inside the
    window, otherwise the rightmost minimum is taken (Schleimer et al. 2003, section 4.1).

    Parameters
    ----------
    hashes : sequence of int
        k-gram hashes in document order.
    w : int
        Window size.

    Returns
    -------
    list of (hash, position)
        Selected fingerprints in order. A sequence shorter than ``w`` yields its
        minimum (one window covering it all), an empty one nothing.
    """
    if not hashes:
        return []
    if len(hashes) <= w:
        position = min(range(len(hashes)), key=lambda i: (hashes[i], -i))
        return [(hashes[position], position)]
    selected: list[tuple[int, int]] = []
    last = -1
    for start in range(len(hashes) - w + 1):
        smallest = min(hashes[start:start + w])
        if last >= start and hashes[last] == smallest:
            continue  # robust winnowing: keep the earlier selection while it stays in the window
        position = max(i for i in range(start, start + w) if hashes[i] == smallest)
        if position != last:
            selected.append((hashes[position], position))
            last = position
    return selected


def fingerprint(source: str, k: int = K, w: int = W) -> set[int]:
    """Winnowed fingerprint set of one piece of source."""
    return {h for h, _ in winnow(kgram_hashes(normalise(source), k), w)}


@dataclass
class Fingerprinted:
    """One submission's answer cells and their fingerprints (starter code removed)."""

    id: str
    cells: list[str]
    cell_prints: list[set[int]] = field(default_factory=list)

    @property
    def prints(self) -> set[int]:
        """Union of the cells' fingerprints."""
        out: set[int] = set()
        for p in self.cell_prints:
            out |= p
        return out


def _layout_free(source: str) -> str:
    return " ".join(source.split())


@functools.lru_cache(maxsize=8)
def _starter(starter: tuple[str, ...], k: int, w: int) -> tuple[frozenset[str], frozenset[int]]:
    """Layout-free starter cells and their fingerprints (computed once per starter notebook)."""
    base: set[int] = set()
    for source in starter:
        base |= fingerprint(source, k, w)
    return frozenset(_layout_free(s) for s in starter), frozenset(base)


def fingerprint_cells(submission: str, cells: Iterable[str], starter: Iterable[str] = (),
                      k: int = K, w: int = W) -> Fingerprinted:
    """Fingerprint the answer cells of one submission.

    Cells identical (up to layout) to a starter cell are dropped, and every fingerprint
    that also occurs in the starter code is removed from the rest.
    """
    given, base = _starter(tuple(starter), k, w)
    kept = [c for c in cells if c.strip() and _layout_free(c) not in given]
    return Fingerprinted(submission, kept, [fingerprint(c, k, w) - base for c in kept])


@dataclass(frozen=True)
class Pair:
    """Two submissions whose answer code is unusually alike."""

    a: str
    b: str
    shared: int
    jaccard: float
    containment: float
    cells: tuple[tuple[int, int, int], ...]  # (cell in a, cell in b, shared fingerprints), one-to-one, best first


def similar_pairs(subs: Sequence[Fingerprinted], threshold: float = THRESHOLD, max_share: int | None = MAX_SHARE,
                  min_fingerprints: int = MIN_FINGERPRINTS) -> list[Pair]:
    """Pairs of submissions whose fingerprint sets have a Jaccard index ≥ ``threshold``.

    Parameters
    ----------
    subs : sequence of Fingerprinted
        Submissions (ids unique).
    threshold : float
        Smallest Jaccard index |A ∩ B| / |A ∪ B| flagged.
    max_share : int or None
        Fingerprints present in more than this many submissions are ignored (None: keep all).
    min_fingerprints : int
        Submissions with fewer fingerprints left are not compared (too little own code).

    Returns
    -------
    list of Pair
        Highest Jaccard first, then by ids (deterministic).
    """
    from scipy import sparse

    sets = [s.prints for s in subs]
    counts: dict[int, int] = {}
    for s in sets:
        for h in s:
            counts[h] = counts.get(h, 0) + 1
    keep = {h for h, c in counts.items() if c >= 2 and (max_share is None or c <= max_share)}
    common = {h for h, c in counts.items() if max_share is not None and c > max_share}
    sets = [s - common for s in sets]
    sizes = np.array([len(s) for s in sets])
    column = {h: i for i, h in enumerate(sorted(keep))}
    rows, cols = [], []
    for r, s in enumerate(sets):
        if sizes[r] < min_fingerprints:
            continue
        for h in s:
            c = column.get(h)
            if c is not None:
                rows.append(r)
                cols.append(c)
    if not rows:
        return []
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(sets), len(column)))
    shared = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    pairs = []
    for i, j, n in zip(shared.row, shared.col, shared.data, strict=True):
        union = sizes[i] + sizes[j] - n
        jaccard = float(n / union) if union else 0.0
        if jaccard < threshold:
            continue
        a, b = subs[i], subs[j]
        cell_pairs = []
        for ci, pa in enumerate(a.cell_prints):
            pa = pa - common
            for cj, pb in enumerate(b.cell_prints):
                overlap = len(pa & (pb - common))
                if overlap:
                    cell_pairs.append((ci, cj, overlap))
        cell_pairs.sort(key=lambda t: (-t[2], t[0], t[1]))
        used_a: set[int] = set()
        used_b: set[int] = set()
        matched = []
        for ci, cj, overlap in cell_pairs:  # greedy one-to-one: each cell shown beside its best partner once
            if ci not in used_a and cj not in used_b:
                matched.append((ci, cj, overlap))
                used_a.add(ci)
                used_b.add(cj)
        cell_pairs = matched
        first, second = sorted((a.id, b.id))
        if first != a.id:
            cell_pairs = [(cj, ci, n_) for ci, cj, n_ in cell_pairs]
        pairs.append(Pair(first, second, int(n), round(jaccard, 4),
                          round(float(n / min(sizes[i], sizes[j])), 4), tuple(cell_pairs)))
    pairs.sort(key=lambda p: (-p.jaccard, p.a, p.b))
    return pairs
