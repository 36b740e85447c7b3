"""Jittered exponential backoff between reconnection attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays that double from ``initial_s`` up to ``max_s``, each drawn in [delay/2, delay].

    The jitter keeps many workers that lost the same server from reconnecting in lockstep.
    """

    initial_s: float = 1.0
    max_s: float = 300.0
    factor: float = 2.0
    rng: random.Random = field(default_factory=random.Random, repr=False)
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.max_s, self.initial_s * self.factor**self.attempt)
        self.attempt += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0
