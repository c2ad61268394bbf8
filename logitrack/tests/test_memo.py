"""What a process keeps for itself is bounded and expires."""

import time

from logitrack.memo import MISSING, Memo


def test_the_oldest_entry_goes_first_when_full():
    memo = Memo(limit=3, ttl=60)
    for n in range(5):
        memo.set(f"k{n}", n)

    assert [memo.get(f"k{n}") for n in range(5)] == [MISSING, MISSING, 2, 3, 4]
    assert len(memo) == 3


def test_a_renewed_entry_counts_as_the_newest():
    memo = Memo(limit=2, ttl=60)
    memo.set("a", 1)
    memo.set("b", 2)
    memo.set("a", 3)
    memo.set("c", 4)

    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (3, MISSING, 4)


def test_an_entry_is_forgotten_once_its_lifetime_is_over():
    memo = Memo(limit=10, ttl=0.2)
    memo.set("k", "v")
    assert memo.get("k") == "v"

    time.sleep(0.25)

    assert memo.get("k", None) is None
    assert len(memo) == 0
