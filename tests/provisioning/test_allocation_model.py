"""Property test: the allocator behaves as set arithmetic on a pure-Python model of the range."""

from __future__ import annotations

import itertools
import shutil
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rb_harness import budget

from contracts.errors import StateError
from provisioning import db
from provisioning.check import check
from provisioning.inventory import SiteRow, upsert_site
from provisioning.numbers import add_range, allocate_block, release_block

FIRST, SIZE = 33170000000, 2000
D0 = date(2026, 1, 5)
_copies = itertools.count()


def model_first_fit(free: set[int], size: int) -> int | None:
    """The first aligned run of `size` free numbers, computed on the model."""
    for start in range(FIRST, FIRST + SIZE, size):
        if all(n in free for n in range(start, start + size)):
            return start
    return None


ops = st.lists(
    st.one_of(
        st.tuples(st.just("alloc"), st.sampled_from([1, 10, 100, 1000])),
        st.tuples(st.just("release"), st.integers(0, 30)),
        st.tuples(st.just("wait"), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=budget(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops)
def test_allocator_matches_the_model(tmp_path, ops):
    template = tmp_path / "template.db"
    if not template.exists():
        db.upgrade(str(template))
        with db.session_scope(str(template)) as s:
            upsert_site(s, SiteRow("s", "c", "1 rue X", "75001", "Paris", "alleo"))
            add_range(s, f"+{FIRST}", SIZE, "t")
        db.dispose_all()
    url = str(tmp_path / f"run{next(_copies)}.db")
    shutil.copy(template, url)

    free = set(range(FIRST, FIRST + SIZE))
    blocks: list[tuple[int, int]] = []  # allocated (start, size)
    quarantine: list[tuple[date, set[int]]] = []
    today = D0
    for op, arg in ops:
        if op == "wait":
            today += timedelta(days=arg)
            continue
        for until, numbers in list(quarantine):
            if until <= today:
                free |= numbers
                quarantine.remove((until, numbers))
        if op == "alloc":
            expected = model_first_fit(free, arg)
            try:
                got = db.in_transaction(
                    url, lambda c, n=arg, d=today: allocate_block(c, "s", n, actor="t", today=d), core=True
                )
            except StateError:
                assert expected is None
                continue
            assert got.start == expected
            blocks.append((got.start, arg))
            free -= set(range(got.start, got.start + arg))
        elif blocks:
            start, size = blocks.pop(arg % len(blocks))
            days = arg % 3
            with db.session_scope(url) as s:
                release_block(s, f"+{start}", actor="t", quarantine_days=days, today=today)
            quarantine.append((today + timedelta(days=days), set(range(start, start + size))))
    with db.session_scope(url) as s:
        assert [r.name for r in check(s) if not r.ok] == []
    db.dispose_all()
