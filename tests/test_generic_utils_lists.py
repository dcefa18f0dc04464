"""generic_utils.to_list / unpack_singleton, Keras 2's helpers for one-or-many arguments."""
from __future__ import annotations

from multinn.utils.generic_utils import to_list, unpack_singleton


def test_to_list():
    items = [1, 2]
    assert to_list(items) is items  # a list is returned as it is, not copied
    assert to_list("ab") == ["ab"] and to_list(None) == [None]
    assert to_list((1, 2)) == [(1, 2)]
    assert to_list((1, 2), allow_tuple=True) == [1, 2]


def test_unpack_singleton():
    assert unpack_singleton([7]) == 7 and unpack_singleton(("a",)) == "a"
    pair = [1, 2]
    assert unpack_singleton(pair) is pair
