"""``manage.py seed_demo``: a demo data set to try LogiTrack with.

An operator's command for demo and benchmark databases. On PostgreSQL a large seed
(``demo.seed.LARGE_LOAD_THRESHOLD`` new deliveries or more, and a tenth of those already
there) locks the delivery and event tables, reads included, while it runs: it loads
them with ``COPY`` and rebuilds the tables' secondary indexes and constraints
afterwards (same definitions) in its one transaction; see ``demo.large_load``.
"""

import argparse
import sys
import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from demo.accounts import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    DEMO_DISPATCHER_PASSWORD,
    DEMO_DISPATCHER_USERNAME,
    DEMO_DRIVER_PASSWORD,
    DEMO_DRIVER_USERNAME_PREFIX,
)
from demo.seed import LARGE_LOAD_THRESHOLD, DemoSeedResult, demo_seed


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {value!r}")
    return number


class Command(BaseCommand):
    help = (
        "Creates demo users, vehicles and deliveries. Idempotent: running it again "
        "creates nothing new; larger counts top the data set up. On PostgreSQL, a run "
        f"that adds {LARGE_LOAD_THRESHOLD:,} deliveries or more (and a tenth of those "
        "already there) locks the delivery and event tables, reads included, until it "
        "ends and rebuilds their indexes and foreign keys: meant for demo and benchmark databases."
    )

    def add_arguments(self, parser):
        parser.add_argument("--vehicles", type=_count, default=20, help="default: 20")
        parser.add_argument("--deliveries", type=_count, default=200, help="default: 200")
        parser.add_argument("--drivers", type=_count, default=10, help="default: 10")
        parser.add_argument(
            "--no-progress", action="store_true", help="no progress bar (none off a terminal)"
        )

    def handle(self, *args, vehicles, deliveries, drivers, no_progress, **options):
        started = time.monotonic()
        show_progress = not no_progress and sys.stderr.isatty()
        bars: dict[str, tqdm] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(
                    desc=stage.capitalize(),
                    total=total,
                    unit=f" {stage}",
                    disable=not show_progress,
                    file=sys.stderr,
                )
            bar.update(done - bar.n)
            if done >= total:
                bar.close()

        try:
            result = demo_seed(
                vehicles=vehicles, drivers=drivers, deliveries=deliveries, on_progress=on_progress
            )
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s.")
            + summary(result)
        )


def _by_status(counts: dict[str, int]) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none"


def summary(result: DemoSeedResult) -> str:
    """What the run created and what the database holds now, and how to sign in."""
    drivers = (
        f"\n  {DEMO_DRIVER_USERNAME_PREFIX}1 … {DEMO_DRIVER_USERNAME_PREFIX}{result.demo_drivers}"
        f" / {DEMO_DRIVER_PASSWORD}"
    )
    return (
        f"\n  Users created: {result.users_created}"
        f"\n  Vehicles created: {result.vehicles_created}"
        f" (demo fleet: {_by_status(result.vehicles_by_status)})"
        f"\n  Deliveries created: {result.deliveries_created}"
        f" with {result.events_created} events"
        f" (demo deliveries: {result.demo_deliveries})"
        f"\n  All deliveries: {_by_status(result.deliveries_by_status)}"
        + (
            f"\n  Today's round: {result.round_assigned} deliveries assigned to the first "
            f"demo drivers, with time windows (some need a proof of delivery)"
            if result.round_assigned
            else ""
        )
        + "\nDemo sign-in (username / password):"
        f"\n  {DEMO_ADMIN_USERNAME} / {DEMO_ADMIN_PASSWORD}"
        f"\n  {DEMO_DISPATCHER_USERNAME} / {DEMO_DISPATCHER_PASSWORD}"
        + (drivers if result.demo_drivers else "")
    )
