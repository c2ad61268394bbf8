"""Measurements ``make bench`` takes inside a Django process rather than under load.

``python -m bench.probe queries [--deep PATH]``
    SQL queries per request, counted with ``CaptureQueriesContext`` on requests made
    through DRF's ``APIClient`` with a real Bearer token (the demo dispatcher's): the
    delivery list's first page and ``?status=in_transit`` at page sizes 10, 50 and 100,
    the deep page ``PATH`` (a URL path reached through ``next`` links), a delivery's
    detail, the vehicles and the stats. Cold: the cache is cleared before the request;
    warm: the same request made twice, the second one counted.

``python -m bench.probe report --rows N``
    Builds a deliveries CSV report of about ``N`` rows (the ``N`` most recently
    scheduled deliveries) in this process with ``services.reports.report_build`` and
    reports its peak RSS (``ru_maxrss``); the report and its file are deleted after.

``python -m bench.probe location --driver ID --vehicle ID [--calls N]``
    Times the read behind ``GET …/users/{id}/location/`` and ``…/vehicles/{id}/location/``
    in this process (``services.locations.location_last_known``: the latest point's
    query and its age), ``N`` times each (default 500): the median and p99 in ms.

All print one line ``BENCH_PROBE {json}`` on standard output. They run against the
database and cache of the environment (``DATABASE_URL``, ``REDIS_URL``): a benchmark
database, never a real one.
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LIST_PATH = "/api/v1/deliveries/"
PAGE_SIZES = (10, 50, 100)
DISPATCHER = ("dispatcher", "logitrack-dispatcher")  # the demo data's dispatcher


def _setup_django() -> None:
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "logitrack.settings")
    import django

    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def signed_in_client():
    """An ``APIClient`` carrying the demo dispatcher's access token."""
    from rest_framework.test import APIClient

    client = APIClient()
    username, password = DISPATCHER
    response = client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    if response.status_code != 200:
        raise SystemExit(
            f"Sign-in as {username} failed: {response.status_code} {response.content!r}"
        )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def count_queries(client, path: str, *, warm: bool) -> int:
    """SQL queries of one ``GET path``: after a cleared cache (cold), or the second of two
    identical requests (warm)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if warm:
        _get(client, path)
    else:
        cache.clear()
    with CaptureQueriesContext(connection) as context:
        _get(client, path)
    return len(context.captured_queries)


def _get(client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.content[:500]!r}")
    return response


def probe_queries(deep_path: str | None) -> dict:
    client = signed_in_client()
    requests = []

    def measure(scenario: str, path: str, page_size: int | None) -> None:
        requests.append(
            {
                "scenario": scenario,
                "page_size": page_size,
                "path": path,
                "cold": count_queries(client, path, warm=False),
                "warm": count_queries(client, path, warm=True),
            }
        )

    for size in PAGE_SIZES:
        measure("list-first", f"{LIST_PATH}?page_size={size}", size)
        measure("list-status", f"{LIST_PATH}?status=in_transit&page_size={size}", size)
    if deep_path:
        page_size = None
        for part in deep_path.partition("?")[2].split("&"):
            key, _, value = part.partition("=")
            if key == "page_size" and value.isdigit():
                page_size = int(value)
        measure("list-deep", deep_path, page_size)
    first = _get(client, f"{LIST_PATH}?page_size=1").json()["results"][0]
    measure("detail", f"{LIST_PATH}{first['id']}/", None)
    measure("vehicles", "/api/v1/vehicles/", None)
    measure("stats", "/api/v1/stats/", None)
    return {"requests": requests}


def probe_report(rows: int) -> dict:
    from deliveries.models import Delivery, Report, ReportKind
    from services.reports import report_build
    from users.models import User

    baseline = _rss_mb()
    dispatcher = User.objects.get(username=DISPATCHER[0])
    total = Delivery.objects.count()
    filters = {}
    if total > rows:
        cut = (
            Delivery.objects.order_by("-scheduled_for")
            .values_list("scheduled_for", flat=True)[rows - 1 : rows]
            .get()
        )
        filters = {"scheduled_after": cut.isoformat()}
    report = Report.objects.create(
        kind=ReportKind.DELIVERIES_CSV, filters=filters, requested_by=dispatcher
    )
    try:
        started = time.perf_counter()
        status = report_build(report_id=report.pk)
        elapsed = time.perf_counter() - started
        report.refresh_from_db()
        result = {
            "status": status,
            "error": report.error,
            "rows": report.row_count,
            "filters": filters,
            "seconds": round(elapsed, 2),
            "baseline_rss_mb": round(baseline, 1),
            "peak_rss_mb": round(_rss_mb(), 1),
        }
    finally:
        if report.file:
            report.file.delete(save=False)
        report.delete()
    return result


def probe_location(driver_id: int, vehicle_id: int, calls: int) -> dict:
    from bench.summary import percentile
    from fleet.models import Vehicle
    from services.locations import location_last_known
    from users.models import User

    whose = {
        "driver": {"driver": User.objects.get(pk=driver_id)},
        "vehicle": {"vehicle": Vehicle.objects.get(pk=vehicle_id)},
    }
    result = {}
    for kind, owner in whose.items():
        location_last_known(**owner)  # a connection and a plan, once
        times = []
        for _ in range(calls):
            started = time.perf_counter()
            location_last_known(**owner)
            times.append(1000 * (time.perf_counter() - started))
        result[kind] = {
            "calls": calls,
            "p50_ms": percentile(times, 0.5),
            "p99_ms": percentile(times, 0.99),
        }
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    commands = parser.add_subparsers(dest="command", required=True)
    queries = commands.add_parser("queries")
    queries.add_argument("--deep", help="a deep list page's path (and query)")
    report = commands.add_parser("report")
    report.add_argument("--rows", type=int, default=100_000)
    location = commands.add_parser("location")
    location.add_argument("--driver", type=int, required=True)
    location.add_argument("--vehicle", type=int, required=True)
    location.add_argument("--calls", type=int, default=500)
    args = parser.parse_args(argv)

    _setup_django()
    if args.command == "queries":
        result = probe_queries(args.deep)
    elif args.command == "report":
        result = probe_report(args.rows)
    else:
        result = probe_location(args.driver, args.vehicle, args.calls)
    sys.stdout.write("BENCH_PROBE " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
