"""Reconnection delays: exponential, capped, jittered, and reset after success."""

from __future__ import annotations

import random

from inbox.backoff import Backoff


def test_delays_double_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    backoff = Backoff(initial_s=1.0, max_s=30.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 16, 30, 30, 30]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_jitter_spreads_workers_that_failed_together() -> None:
    firsts = {
        round(Backoff(initial_s=8.0, rng=random.Random(seed)).next_delay(), 3) for seed in range(20)
    }
    assert len(firsts) > 15, "twenty workers would not all reconnect at the same instant"
