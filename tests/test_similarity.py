"""Token winnowing (grader.similarity) on hand-computed examples."""

from __future__ import annotations

import pytest

from grader.similarity import (
    Fingerprinted,
    fingerprint,
    fingerprint_cells,
    kgram_hashes,
    normalise,
    similar_pairs,
    winnow,
)


def test_winnow_reproduces_the_papers_example():
    # Schleimer, Wilkerson & Aiken (2003), fig. 2: hashes of the 5-grams of "adorunrunrunadorunrun",
    # windows of size 4, robust winnowing selects 17 17 8 39 17 at positions 3 6 8 11 15 (0-based).
    hashes = [77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98]
    assert winnow(hashes, 4) == [(17, 3), (17, 6), (8, 8), (39, 11), (17, 15)]


def test_winnow_ties_keep_the_previous_selection_while_it_is_in_the_window():
    # windows of 3 over 5 5 5 5: first window picks the rightmost 5 (position 2); the next window
    # still contains position 2, so nothing new is recorded.
    assert winnow([5, 5, 5, 5], 3) == [(5, 2)]
    # 3 1 2 1 4, w = 2: windows (3,1)->1@1, (1,2)->keep 1@1, (2,1)->1@3, (1,4)->keep 1@3
    assert winnow([3, 1, 2, 1, 4], 2) == [(1, 1), (1, 3)]


def test_winnow_short_and_empty_sequences():
    assert winnow([], 4) == []
    assert winnow([9, 3, 3], 4) == [(3, 2)]


def test_normalise_abstracts_names_literals_comments_and_layout():
    source = 'def f(a, b=1e-4):\n    """doc"""\n    return np.sum(a)  # hi\n'
    assert normalise(source) == ["def", "V", "(", "V", ",", "V", "=", "N", ")", ":", "S",
                                 "return", "V", ".sum", "(", "V", ")"]
    assert normalise("x**=2 // 3") == ["V", "**=", "N", "//", "N"]
    assert normalise("s = f'{x}' + 'a'  # comment") == ["V", "=", "S", "+", "S"]


def test_kgram_hashes_rolling_equals_direct_polynomial():
    from grader.similarity import _BASE, _MASK, _token_id

    tokens = normalise("def f(a, b):\n    return [a * i + b for i in range(10) if i % 2]\n")
    ids = [_token_id(t) for t in tokens]
    direct = []
    for i in range(len(ids) - 4):
        h = 0
        for value in ids[i:i + 5]:
            h = (h * _BASE + value) & _MASK
        direct.append(h)
    assert kgram_hashes(tokens, 5) == direct


def test_kgram_hashes_count_and_determinism():
    tokens = ["V", "=", "V", "+", "N"]
    assert len(kgram_hashes(tokens, 3)) == 3
    assert kgram_hashes(tokens, 6) == []
    assert kgram_hashes(tokens, 3)[0] == kgram_hashes(["V", "=", "V", "x"], 3)[0]
    assert kgram_hashes(tokens, 3)[0] != kgram_hashes(tokens, 3)[1]


def test_renaming_and_reformatting_keep_the_fingerprints_other_code_does_not():
    original = "def total(values):\n    s = 0\n    for v in values:\n        s += v * v\n    return s\n"
    renamed = "def sum_sq(xs):  # squares\n    acc=0\n    for item in xs: acc += item*item\n    return acc\n"
    other = "while queue:\n    queue.pop()\n"  # 4-grams: while V : V / V : V .pop / : V .pop ( / V .pop ( )
    assert fingerprint(original, k=4, w=3) == fingerprint(renamed, k=4, w=3)
    assert not fingerprint(original, k=4, w=3) & fingerprint(other, k=4, w=3)


def test_fingerprint_cells_drops_starter_cells_and_starter_fingerprints():
    starter = ["import numpy as np\nx = load()\n", "def f(a):\n    ...\n"]
    answer = "def f(a):\n    return a * a + 1\n"
    sub = fingerprint_cells("s1", ["import numpy as np\n\nx = load()", answer, "   "], starter, k=4, w=2)
    assert sub.cells == [answer]
    base = fingerprint(starter[0], 4, 2) | fingerprint(starter[1], 4, 2)
    assert sub.cell_prints == [fingerprint(answer, 4, 2) - base]
    assert not sub.prints & base


def _sub(name: str, prints: set[int]) -> Fingerprinted:
    return Fingerprinted(name, [f"cell of {name}"], [set(prints)])


def test_similar_pairs_jaccard_containment_and_threshold():
    a = _sub("a", set(range(1, 11)))              # 10 fingerprints
    b = _sub("b", set(range(1, 9)) | {11, 12})     # shares 8 with a: Jaccard 8/12, containment 8/10
    c = _sub("c", set(range(20, 30)))             # shares nothing
    d = _sub("d", {1, 2, 3, 20, 21, 22, 40, 41, 42, 43})  # 3 with a and b, 3 with c: Jaccard 3/17 or 3/17
    pairs = similar_pairs([c, b, a, d], threshold=0.5, max_share=None, min_fingerprints=1)
    assert [(p.a, p.b) for p in pairs] == [("a", "b")]
    (pair,) = pairs
    assert pair.shared == 8
    assert pair.jaccard == pytest.approx(8 / 12, abs=1e-4)
    assert pair.containment == pytest.approx(8 / 10, abs=1e-4)
    assert pair.cells == ((0, 0, 8),)
    low = similar_pairs([a, b, c, d], threshold=0.15, max_share=None, min_fingerprints=1)
    assert {(p.a, p.b) for p in low} == {("a", "b"), ("a", "d"), ("b", "d"), ("c", "d")}


def test_similar_pairs_ignores_common_fingerprints_and_tiny_submissions():
    shared = {100, 101, 102, 103}
    subs = [_sub(f"s{i}", shared | {i}) for i in range(4)]  # alike only through code all four share
    assert len(similar_pairs(subs, threshold=0.5, max_share=None, min_fingerprints=1)) == 6
    assert similar_pairs(subs, threshold=0.5, max_share=3, min_fingerprints=1) == []
    tiny = [_sub("x", {1, 2}), _sub("y", {1, 2})]
    assert similar_pairs(tiny, threshold=0.5, max_share=None, min_fingerprints=3) == []
    assert len(similar_pairs(tiny, threshold=0.5, max_share=None, min_fingerprints=2)) == 1


def test_similar_pairs_match_cells_one_to_one_best_first():
    a = Fingerprinted("a", ["a0", "a1"], [set(range(10)), set(range(10, 14))])
    b = Fingerprinted("b", ["b0", "b1"], [set(range(12, 14)) | set(range(3)), set(range(10))])
    # cell overlaps: a0-b0 3, a0-b1 10, a1-b0 2, a1-b1 0 -> a0 with b1 (10), then a1 with b0 (2)
    (pair,) = similar_pairs([b, a], threshold=0.5, max_share=None, min_fingerprints=1)
    assert (pair.a, pair.b) == ("a", "b")
    assert pair.cells == ((0, 1, 10), (1, 0, 2))
    # a has 0..13 (14), b has 0..9, 12, 13 (12): shared 12, union 14
    assert pair.shared == 12 and pair.jaccard == pytest.approx(12 / 14, abs=1e-4) and pair.containment == 1.0
