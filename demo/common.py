"""What every part of the demo data shares: its seed and the progress callback."""

import random
from collections.abc import Callable

DEMO_SEED = 20240917

# on_progress(stage, done, total)
ProgressCallback = Callable[[str, int, int], None]


def demo_random(stream: str) -> random.Random:
    """A generator seeded for one stream of demo data, so each run draws the same values."""
    return random.Random(f"{DEMO_SEED}:{stream}")  # noqa: S311 - demo data, not secrets
