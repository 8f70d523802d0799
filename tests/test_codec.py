"""The JSON codec that carries values across the sandbox boundary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.sandbox.codec import Opaque, dumps, from_plain, loads, to_plain


def roundtrip(value):
    return from_plain(loads(dumps(to_plain(value))))


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
))
def test_plain_values_roundtrip(value):
    got = roundtrip(value)

    def same(a, b):
        if isinstance(a, float) and math.isnan(a):
            return isinstance(b, float) and math.isnan(b)
        if isinstance(a, list):
            return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if isinstance(a, dict):
            return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return a == b and type(a) is type(b)

    assert same(value, got)


def test_numpy_and_pandas_roundtrip():
    arr = np.array([[1.5, np.inf], [np.nan, -2.0]])
    got = roundtrip(arr)
    assert got.shape == (2, 2) and np.isnan(got[1, 0]) and got[0, 1] == np.inf
    df = pd.DataFrame({"n": [3, 4], "accuracy": [0.5, 0.75]}, index=pd.Index(["a", "b"], name="slice"))
    back = roundtrip(df)
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    assert roundtrip(np.float32(0.5)) == 0.5 and roundtrip(np.int64(7)) == 7 and roundtrip(np.bool_(True))


@given(st.recursive(
    st.none() | st.booleans() | st.integers(-2**62, 2**62) | st.floats() | st.text(max_size=5)
    | st.builds(np.float64, st.floats()) | st.builds(np.int64, st.integers(-2**62, 2**62))
    | st.builds(np.bool_, st.booleans()) | st.builds(np.float32, st.floats(width=32)),
    lambda inner: st.lists(inner, max_size=3) | st.lists(inner, max_size=3).map(tuple),
    max_leaves=12,
))
@settings(max_examples=100, derandomize=True, deadline=None)
def test_types_survive_the_boundary(value):
    """Tuples stay tuples, NumPy scalars keep their exact type, Python numbers stay Python numbers."""
    got = roundtrip(value)

    def same(a, b):
        assert type(a) is type(b), (a, b)
        if isinstance(a, (list, tuple)):
            assert len(a) == len(b)
            for x, y in zip(a, b, strict=True):
                same(x, y)
        elif isinstance(a, (float, np.floating)) and math.isnan(a):
            assert math.isnan(b)
        else:
            assert a == b

    same(value, got)


def test_numpy_scalar_tags_build_only_listed_types():
    assert from_plain({"__np__": "object", "v": 3}) == 3 and type(from_plain({"__np__": "object", "v": 3})) is int
    assert from_plain({"__np__": "float64", "v": "x"}) == "x"
    assert type(from_plain({"__np__": "int64", "v": 3})) is np.int64


def test_unknown_objects_become_opaque_and_never_compare_equal_to_numbers():
    class Rigged:
        def __eq__(self, other):
            return True

        def __repr__(self):
            return "Rigged()"

    got = roundtrip(Rigged())
    assert isinstance(got, Opaque)
    assert got != 0.02931 and got != "stable"
    assert got.type_name == "Rigged"


def test_oversized_messages_are_refused():
    import pytest

    with pytest.raises(ValueError, match="exceeds"):
        loads(b"[" + b"1," * (9 * 2**20) + b"1]")


def test_what_the_child_sends_never_raises_anything_but_value_error_in_the_parent():
    """Student code owns the child's end of the pipe: any reply must decode, or fail as a ValueError."""
    import pytest

    from grader.sandbox.codec import clean_reply, decode

    with pytest.raises(ValueError, match="nested too deeply"):
        loads(b"[" * 100_000 + b"]" * 100_000)
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    for bad in (deep, {"__ndarray__": [1, 2, 3], "shape": [7, 7]}, {"__np__": "int8", "v": 1000},
                {"__float__": "lots"}, {"__dict__": [1]}, {"__dataframe__": {"a": [1], "b": [1, 2]}}):
        with pytest.raises(ValueError, match="unreadable value"):
            decode(bad)
    assert clean_reply([1]) is None and clean_reply({"id": "1"}) is None and clean_reply({"id": True}) is None
    reply = clean_reply({"id": 3, "ok": 1, "error": [[["x"]]], "kind": None, "violations": ["a", 5, ["b"]],
                         "value": [1], "extra": 2})
    assert reply["ok"] is False and reply["error"] == "(the submission sent a list as error)"
    assert reply["kind"] == "(the submission sent a NoneType as kind)"
    assert reply["violations"] == ["a"] and reply["value"] == [1] and reply["extra"] == 2
    assert clean_reply({"id": 3, "ok": True, "violations": "x"}) == {"id": 3, "ok": True, "violations": []}


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.sampled_from(["bool", "int8", "int32", "int64", "uint8", "uint64", "float16", "float32", "float64"]),
       st.lists(st.integers(0, 6), min_size=1, max_size=3))
def test_large_numeric_arrays_cross_as_bytes_with_the_types_a_json_list_gave(dtype, dims):
    from grader.sandbox.codec import PACK_FROM

    rng = np.random.default_rng(len(dims))
    shape = (PACK_FROM, *dims)
    values = rng.normal(scale=50, size=shape)
    if dtype != "bool":
        values.flat[: min(3, values.size)] = [0.0, 1.0, 2.0][: min(3, values.size)]
    array = values.astype(dtype) if dtype != "bool" else values > 0
    if dtype.startswith("float") and array.size >= 3:
        array.flat[:3] = [np.nan, np.inf, -np.inf]
    packed = to_plain(array)
    assert ("__ndbytes__" in packed) == (array.size >= PACK_FROM)
    got = from_plain(loads(dumps(packed)))
    # what the JSON list of items always decoded to: bool, int64, uint64 or float64, same shape, same values
    want = np.array(array.ravel().tolist(), dtype={"b": bool, "i": np.int64, "u": np.uint64, "f": float}[
        array.dtype.kind]).reshape(array.shape)
    assert got.dtype == want.dtype and got.shape == want.shape and got.flags.writeable
    assert np.array_equal(got, want, equal_nan=True)


def test_a_packed_array_the_child_forges_is_refused_or_plain_data():
    import base64

    from grader.sandbox.codec import decode

    eight = base64.b64encode(bytes(8)).decode()
    forged = [
        {"__ndbytes__": eight, "dtype": "O", "shape": [1]},  # objects: never built from bytes
        {"__ndbytes__": eight, "dtype": "<f8", "shape": [2]},  # fewer bytes than the shape says
        {"__ndbytes__": eight, "dtype": "<f8", "shape": [-1]},
        {"__ndbytes__": eight, "dtype": "<f8", "shape": [True]},
        {"__ndbytes__": "not base64!", "dtype": "<f8", "shape": [1]},
        {"__ndbytes__": 8, "dtype": "<f8", "shape": [1]},
        {"__ndbytes__": eight, "dtype": "<f8", "shape": "1"},
        {"__ndbytes__": eight, "dtype": "<f8", "shape": [1], "narrow": "|i1"},  # only int64 is stored narrow
        {"__ndbytes__": eight, "dtype": "<i8", "shape": [1], "narrow": "<f8"},
        {"__ndbytes__": eight, "dtype": "<i8", "shape": [1], "narrow": "|i1"},  # 8 bytes for one narrow item
    ]
    for data in forged:
        with pytest.raises(ValueError):
            decode(data)
    # any nonzero byte of a bool array is True, as NumPy converts it
    assert decode({"__ndbytes__": base64.b64encode(b"\x00\x02\xff").decode(), "dtype": "|b1", "shape": [3]}).tolist() \
        == [False, True, True]


def test_bytes_cross_as_bytes():
    from grader.sandbox.codec import decode

    for value in (b"", b"\x00\xffdigest", bytearray(b"abc")):
        assert roundtrip(value) == bytes(value) and type(roundtrip(value)) is bytes
    with pytest.raises(ValueError):
        decode({"__bytes__": "not base64!"})
    with pytest.raises(ValueError):
        decode({"__bytes__": 3})


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.integers(0, 200), st.sampled_from(["int64", "int32", "float64", "bool", "uint8"]),
       st.integers(1, 300), st.booleans())
def test_long_columns_cross_packed_and_come_back_as_the_json_lists_gave_them(rows, dtype, kinds, named_index):
    """Numeric columns of 64+ rows cross as bytes and string columns as distinct names plus codes: the frame that
    comes back equals, dtypes and index included, the one the old item-by-item JSON lists built."""
    from grader.sandbox.codec import PACK_FROM, _column

    rng = np.random.default_rng(rows * 7 + kinds)
    names = [f"slice_{k}" for k in rng.integers(0, kinds, size=rows)]
    numbers = rng.normal(scale=20, size=rows)
    column = numbers > 0 if dtype == "bool" else np.abs(numbers).astype(dtype)
    if dtype == "float64" and rows:
        column[0] = np.nan
    index = pd.Index(names, name="slice") if named_index else pd.RangeIndex(rows)
    df = pd.DataFrame({"value": column, "name": names}, index=index)
    items = lambda s: s.tolist()  # noqa: E731 - what the item-by-item JSON list carried
    want = pd.DataFrame({"value": items(df["value"]), "name": items(df["name"])},
                        index=items(df.index) if rows else None)
    want.index.name = df.index.name
    back = roundtrip(df)
    pd.testing.assert_frame_equal(back, want)
    series = roundtrip(df["name"])
    # (a Series crosses without its index's name, as before)
    pd.testing.assert_series_equal(series, pd.Series(items(df["name"]), index=items(df.index) if rows else None,
                                                     name="name"))
    packed = _column(df["name"], 0)
    repeats = len(set(names)) <= rows // 2
    assert isinstance(packed, dict) == (rows >= PACK_FROM and repeats)


def test_a_column_of_strings_the_child_forges_is_refused():
    from grader.sandbox.codec import _packed, decode

    codes = _packed(np.array([0, 1, 1, 0] * 20, dtype=np.int64))
    good = {"__dataframe__": {"s": {"__strings__": ["a", "b"], "codes": codes}}, "index": []}
    assert decode(good)["s"].tolist() == ["a", "b", "b", "a"] * 20
    forged = [
        {"__strings__": ["a"], "codes": codes},  # a code past the names
        {"__strings__": ["a", 2], "codes": codes},  # a name that is not a string
        {"__strings__": "ab", "codes": codes},
        {"__strings__": ["a", "b"], "codes": _packed(np.array([0.0, 1.0] * 40))},  # codes that are not integers
        {"__strings__": ["a", "b"], "codes": _packed(np.array([0, -1] * 40, dtype=np.int64))},
        {"__strings__": ["a", "b"], "codes": [0, 1]},
        {"__strings__": ["a", "b"]},
        {"__ndbytes__": codes["__ndbytes__"], "dtype": "<i8", "shape": [40, 2]},  # a column of two dimensions
    ]
    forged += [{"__range__": bad} for bad in ([0, 10], [0, 10, 0], [0, 10**12, 1], [0, 2**64, 1], [0.0, 10, 1],
                                              "0:10")]
    for column in forged:
        with pytest.raises(ValueError):
            decode({"__dataframe__": {"s": column}, "index": []})


def test_integer_arrays_cross_in_as_few_bytes_as_their_values_need():
    from grader.sandbox.codec import _packed

    for values, narrow in (([0, 1] * 40, "|i1"), ([-300, 300] * 40, "<i2"), ([0, 2**31 - 1] * 40, "<i4"),
                           ([-2**63, 2**63 - 1] * 40, None)):
        array = np.array(values, dtype=np.int64)
        packed = _packed(array)
        assert packed.get("narrow") == narrow
        back = from_plain(loads(dumps(packed)))
        assert back.dtype == np.int64 and back.tolist() == values and back.flags.writeable


def test_arrays_cross_as_bytes_attached_after_the_json():
    """A message with large arrays is its JSON plus the arrays' own bytes (no base64 inside the JSON); one without
    is plain JSON, as before."""
    import struct

    x = np.linspace(0.0, 1.0, 250_000)
    message = {"id": 3, "value": to_plain([x, {"n": np.arange(100)}])}
    raw = dumps(message)
    assert raw.startswith(b"\x00OPS") and len(raw) < x.nbytes + 100 + 1_000
    got = from_plain(loads(raw)["value"])
    assert np.array_equal(got[0], x) and got[0].flags.writeable and got[1]["n"].tolist() == list(range(100))
    assert dumps({"id": 1, "value": [1.5, "a"]}) == b'{"id":1,"value":[1.5,"a"]}'
    # forged frames: every length is checked, and an index counts only as a packed array's bytes
    head = b'{"v":{"__ndbytes__":0,"dtype":"<f8","shape":[1]}}'

    def frame(count, head_size, sizes, body):
        return b"\x00OPS" + struct.pack(f"<IQ{len(sizes)}Q", count, head_size, *sizes) + body

    blob = struct.pack("<d", 2.5)
    assert from_plain(loads(frame(1, len(head), [8], head + blob))["v"]) == np.array([2.5])
    forged = [
        frame(1, len(head), [9], head + blob),  # lengths that do not add up
        frame(1, len(head) + 1, [8], head + blob),
        frame(2, len(head), [8], head + blob),
        frame(10**6, len(head), [], head + blob),  # more buffers than allowed
        b"\x00OPS\x01",  # truncated
        frame(1, len(head.replace(b":0,", b":1,")), [8], head.replace(b":0,", b":1,") + blob),  # no such buffer
        frame(1, len(head.replace(b":0,", b':"0",')), [8], head.replace(b":0,", b':"0",') + blob),
    ]
    for raw in forged:
        with pytest.raises(ValueError):
            from_plain(loads(raw))
    plain = b'{"v":{"__ndbytes__":0,"dtype":"<f8","shape":[1]}}'  # an index in a JSON-only message: no buffer
    with pytest.raises(ValueError):
        from_plain(loads(plain)["v"])


class _Int(int):
    """An int subclass: never an exact type, so it takes the general rules."""


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
                | st.integers(-3, 3).map(np.int64) | st.integers(-3, 3).map(_Int), max_size=6),
       st.integers(0, 52))
def test_a_list_of_scalars_is_encoded_item_by_item_at_every_depth(items, depth):
    # the fast path for lists of exact scalars gives what encoding each item at the next depth gives (past the
    # depth limit, "too deep" markers), so no value crosses differently for being in such a list
    expected = [to_plain(v, depth + 1) for v in items]
    assert to_plain(items, depth) == expected or depth > 50
    nested = items
    for _ in range(depth):
        nested = [nested]
    plain = to_plain(nested)
    for _ in range(depth):
        plain = plain[0] if isinstance(plain, list) else plain
    assert plain == to_plain(items, depth) or isinstance(plain, dict)
