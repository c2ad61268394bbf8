"""What ``make bench`` makes of its measurements: ratios, the targets, the printed table.

Pure functions over plain data (the rows and dicts that go into ``bench/results.json``),
so that they can be tested without a server.

A run row: ``{"app", "scenario", "variant", "size", "rps", "latency_ms": {"p50", "p99",
...}, "requests", "errors", "ok", ...}``; ``app`` is ``logitrack``, ``raw`` (the raw app,
whose ``count`` is the planner's estimate: the yardstick of the targets) or ``raw-exact``
(the raw app counting with ``COUNT(*)`` on every request); ``variant`` is ``cold``,
``warm`` or ``""``.
"""

import json
import math
import re
from typing import Any

LOGITRACK = "logitrack"
RAW = "raw"
RAW_EXACT = "raw-exact"
COLD = "cold"
WARM = "warm"

FIRST = "list-first"
DEEP = "list-deep"
STATUS = "list-status"
DETAIL = "detail"
VEHICLES = "vehicles"
STATS = "stats"
READS_DURING_ASSIGN = "list-first-during-assign"
READS_DURING_WRITES = "list-first-during-writes"
# The steady write stream beside the readers: assign and unassign requests per second.
WRITES_PER_S = 20
LIST_SCENARIOS = (FIRST, DEEP, STATUS)
# The scenarios bench/probe.py counts queries of.
QUERY_SCENARIOS = (*LIST_SCENARIOS, DETAIL, VEHICLES, STATS)

SCENARIO_LABELS = {
    FIRST: "deliveries, first page",
    DEEP: "deliveries, deep page (next links)",
    STATUS: "deliveries ?status=in_transit",
    DETAIL: "delivery detail",
    VEHICLES: "vehicles",
    STATS: "stats",
    READS_DURING_ASSIGN: "deliveries, first page, 4 readers + assign",
    READS_DURING_WRITES: f"deliveries, first page + {WRITES_PER_S} writes/s",
}
APP_LABELS = {LOGITRACK: "LogiTrack", RAW: "raw", RAW_EXACT: "raw, COUNT(*)"}

SMALL = "10k"
LARGE = "1m"

# Thresholds of the targets.
COLD_VS_RAW = 0.5
WARM_VS_RAW = 0.7
GROWTH = 0.8
# "No more per request on the 1,000th page than on the first": deep page req/s at least
# this share of the first page's, which allows for the run-to-run noise of a loaded
# two-core machine (a few per cent).
DEEP_VS_FIRST = 0.9
COLD_QUERIES = 4
WARM_QUERIES = 1
ASSIGN_P99_MS = 50.0
WORKER_RSS_MB = 150.0
REPORT_RSS_MB = 200.0
# Reads while writes flow, over the same reads on a quiet server.
READS_VS_QUIET = 0.8
BULK_CREATE_S = 3.0
LOCATION_POINTS_PER_S = 5_000.0
LOCATION_READ_MS = 5.0

MET = "PASS"
MISSED = "MISS"
NOT_MEASURED = "n/a"

_SIZE = re.compile(r"^\s*(\d+)\s*([km]?)\s*$", re.IGNORECASE)


def parse_size(label: str) -> int:
    """``"10k"`` → 10000, ``"1m"`` → 1000000, ``"2500"`` → 2500."""
    match = _SIZE.match(label)
    if not match:
        raise ValueError(f"not a data set size: {label!r} (e.g. 10k, 1m)")
    number, unit = int(match.group(1)), match.group(2).lower()
    return number * {"": 1, "k": 1_000, "m": 1_000_000}[unit]


def parse_sizes(raw: str | None) -> list[str]:
    """The sizes in ``BENCH_SIZES`` (comma-separated, e.g. ``10k,1m``), smallest first."""
    labels = [part.strip().lower() for part in (raw or f"{SMALL},{LARGE}").split(",")]
    labels = [label for label in labels if label]
    if not labels:
        raise ValueError("BENCH_SIZES names no size")
    for label in labels:
        parse_size(label)
    return sorted(dict.fromkeys(labels), key=parse_size)


def parse_wrk(output: str) -> dict[str, Any]:
    """The ``BENCH_RESULT`` line that ``bench/wrk.lua`` prints, with req/s and
    milliseconds worked out."""
    for line in reversed(output.splitlines()):
        if line.startswith("BENCH_RESULT "):
            raw = json.loads(line.removeprefix("BENCH_RESULT "))
            break
    else:
        raise ValueError("wrk printed no BENCH_RESULT line:\n" + output[-2000:])
    seconds = raw["duration_us"] / 1e6
    latency = {key: value / 1000 for key, value in raw["latency_us"].items()}
    errors = raw["errors"]
    return {
        "requests": raw["requests"],
        "duration_s": round(seconds, 3),
        "rps": raw["requests"] / seconds if seconds else 0.0,
        "latency_ms": latency,
        "errors": errors,
        # Every answer must be 2xx: a refusal (429, 401, 5xx) is not a measurement.
        "ok": errors["status"] == 0 and raw["requests"] > 0,
    }


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile (``fraction`` 0.5 for p50, 0.99 for p99)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def find(rows: list[dict], *, app: str, scenario: str, size: str, variant: str = "") -> dict | None:
    for row in rows:
        if (row["app"], row["scenario"], row["size"], row["variant"]) == (
            app,
            scenario,
            size,
            variant,
        ):
            return row
    return None


def _ratio(numerator: dict | None, denominator: dict | None) -> float | None:
    if not numerator or not denominator or not numerator["ok"] or not denominator["ok"]:
        return None
    if not denominator["rps"]:
        return None
    return numerator["rps"] / denominator["rps"]


def add_ratios(rows: list[dict]) -> None:
    """Sets on each LogiTrack list row ``vs_raw`` (its req/s over the raw app's, same
    list, same size; the deep page is compared with the raw first page) and
    ``vs_raw_exact`` (the same over the raw app counting with ``COUNT(*)``); on each
    LogiTrack row of the largest size ``growth`` (its req/s over the same scenario's at
    the smallest size)."""
    sizes = sorted({row["size"] for row in rows}, key=parse_size)
    for row in rows:
        row.setdefault("vs_raw", None)
        row.setdefault("vs_raw_exact", None)
        row.setdefault("growth", None)
        if row["app"] != LOGITRACK:
            continue
        if row["scenario"] in LIST_SCENARIOS:
            raw_scenario = STATUS if row["scenario"] == STATUS else FIRST
            for app, key in ((RAW, "vs_raw"), (RAW_EXACT, "vs_raw_exact")):
                raw = find(rows, app=app, scenario=raw_scenario, size=row["size"])
                row[key] = _ratio(row, raw)
        if len(sizes) > 1 and row["size"] == sizes[-1]:
            small = find(
                rows, app=LOGITRACK, scenario=row["scenario"], size=sizes[0], variant=row["variant"]
            )
            row["growth"] = _ratio(row, small)


def attach_queries(rows: list[dict], queries: dict[str, dict]) -> None:
    """Sets ``queries`` (SQL queries per request, measured in-process at the page size
    the load used) on the LogiTrack rows: ``queries[size]`` is the probe's answer."""
    for row in rows:
        row.setdefault("queries", None)
        probe = queries.get(row["size"])
        # Reads during writes are not what the probe counts: every write empties the cache.
        if row["app"] != LOGITRACK or not probe or row["scenario"] not in QUERY_SCENARIOS:
            continue
        variant = row["variant"] or WARM
        for entry in probe.get("requests", []):
            if entry["scenario"] == row["scenario"] and entry["page_size"] in (
                None,
                row.get("page_size"),
            ):
                row["queries"] = entry.get(variant)


# Targets ----------------------------------------------------------------------------


def _target(
    number: str, name: str, measured: float | None, threshold: float, *, at_least: bool, unit=""
) -> dict:
    if measured is None:
        return {
            "target": number,
            "name": name,
            "measured": None,
            "threshold": threshold,
            "status": NOT_MEASURED,
            "margin": None,
            "summary": "not measured in this run",
        }
    met = measured >= threshold if at_least else measured < threshold
    if at_least:
        margin = measured / threshold - 1 if threshold else None
        how = f"{measured:.2f}{unit} vs ≥ {threshold:g}{unit}"
    else:
        margin = 1 - measured / threshold if threshold else None
        how = f"{measured:.1f}{unit} vs < {threshold:g}{unit}"
    word = "above" if (margin or 0) >= 0 else "short by"
    if not at_least:
        word = "under" if met else "over by"
    percent = abs(margin or 0) * 100
    summary = f"{how} ({word} {percent:.1f}%)" if percent < 1 else f"{how} ({word} {percent:.0f}%)"
    return {
        "target": number,
        "name": name,
        "measured": measured,
        "threshold": threshold,
        "status": MET if met else MISSED,
        "margin": margin,
        "summary": summary,
    }


def _queries_target(
    number: str, name: str, queries: dict[str, dict], variant: str, limit: int
) -> dict:
    """At most ``limit`` queries per list request, the same at every page size, over
    every list scenario and size measured."""
    counts: dict[tuple[str, str], dict[int, int]] = {}
    for size, probe in queries.items():
        for entry in (probe or {}).get("requests", []):
            if entry["scenario"] in LIST_SCENARIOS and entry.get(variant) is not None:
                counts.setdefault((size, entry["scenario"]), {})[entry["page_size"]] = entry[
                    variant
                ]
    if not counts:
        return _target(number, name, None, limit, at_least=False)
    worst = max(max(by_size.values()) for by_size in counts.values())
    varying = sorted(
        f"{scenario} at {size}: {by_size}"
        for (size, scenario), by_size in counts.items()
        if len(set(by_size.values())) > 1
    )
    met = worst <= limit and not varying
    detail = f"at most {worst} per request (limit {limit})"
    detail += "; grows with the page size: " + "; ".join(varying) if varying else ", constant"
    return {
        "target": number,
        "name": name,
        "measured": worst,
        "threshold": limit,
        "status": MET if met else MISSED,
        "margin": (limit - worst) if not varying else None,
        "summary": detail,
    }


def _list_targets(rows: list[dict]) -> list[dict]:
    """1a–2f: the list against the raw app, its growth and its deep page."""

    def lt(scenario: str, size: str, variant: str) -> dict | None:
        return find(rows, app=LOGITRACK, scenario=scenario, size=size, variant=variant)

    raw_first = find(rows, app=RAW, scenario=FIRST, size=LARGE)
    ratios = [
        (
            "1a",
            "1M: list first page, cache cold, vs raw app (req/s ratio)",
            _ratio(lt(FIRST, LARGE, COLD), raw_first),
            COLD_VS_RAW,
        ),
        (
            "1b",
            "1M: list first page, cache warm, vs raw app (req/s ratio)",
            _ratio(lt(FIRST, LARGE, WARM), raw_first),
            WARM_VS_RAW,
        ),
    ]
    for number, scenario, variant in (
        ("2a", FIRST, COLD),
        ("2b", FIRST, WARM),
        ("2c", STATUS, COLD),
        ("2d", STATUS, WARM),
    ):
        ratios.append(
            (
                number,
                f"Flat growth: {SCENARIO_LABELS[scenario]}, {variant}, 1M / 10k req/s",
                _ratio(lt(scenario, LARGE, variant), lt(scenario, SMALL, variant)),
                GROWTH,
            )
        )
    for variant, letter in ((COLD, "e"), (WARM, "f")):
        ratios.append(
            (
                f"2{letter}",
                f"1M: 1,000th page via next links vs first page, {variant} (req/s ratio)",
                _ratio(lt(DEEP, LARGE, variant), lt(FIRST, LARGE, variant)),
                DEEP_VS_FIRST,
            )
        )
    return [
        _target(number, name, value, threshold, at_least=True, unit="×")
        for number, name, value, threshold in ratios
    ]


def _write_stream_targets(rows: list[dict]) -> list[dict]:
    """6a–6c: reads while writes flow, against the quiet reads, and the page cache's
    worth there."""

    def lt(scenario: str, variant: str) -> dict | None:
        return find(rows, app=LOGITRACK, scenario=scenario, size=LARGE, variant=variant)

    stream = f"{WRITES_PER_S} writes/s"
    return [
        _target(
            "6a",
            f"1M: list first page while {stream} flow vs quiet, cache on (req/s ratio)",
            _ratio(lt(READS_DURING_WRITES, WARM), lt(FIRST, WARM)),
            READS_VS_QUIET,
            at_least=True,
            unit="×",
        ),
        _target(
            "6b",
            f"1M: list first page while {stream} flow vs quiet, cache off (req/s ratio)",
            _ratio(lt(READS_DURING_WRITES, COLD), lt(FIRST, COLD)),
            READS_VS_QUIET,
            at_least=True,
            unit="×",
        ),
        _target(
            "6c",
            f"1M: while {stream} flow, the page cache on vs off (req/s ratio)",
            _ratio(lt(READS_DURING_WRITES, WARM), lt(READS_DURING_WRITES, COLD)),
            1.0,
            at_least=True,
            unit="×",
        ),
    ]


def _location_targets(locations: dict) -> list[dict]:
    """8a–8b: drivers' positions taken in, and the last one read among 10 million."""
    selector = locations.get("selector") or {}
    reads = [selector.get(kind, {}).get("p50_ms") for kind in ("driver", "vehicle")]
    return [
        _target(
            "8a",
            "POST locations/ in batches of 500 points (points accepted per second)",
            (locations.get("ingest") or {}).get("points_per_s"),
            LOCATION_POINTS_PER_S,
            at_least=True,
        ),
        _target(
            "8b",
            "Last known position of a driver or vehicle at 10M points, in-process (median)",
            None if None in reads else max(reads),
            LOCATION_READ_MS,
            at_least=False,
            unit=" ms",
        ),
    ]


def evaluate_targets(results: dict) -> list[dict]:
    """The targets, each ``PASS``, ``MISS`` or ``n/a`` (not measured) with the measured
    value, the threshold and by how much it is met or missed."""
    rows = results.get("runs", [])
    queries = results.get("queries", {})
    assign = results.get("assign", {}).get(LARGE) or {}
    memory = results.get("memory", {})
    worker = memory.get("workers", {}).get(LARGE) or {}
    report = memory.get("report", {}).get(LARGE) or {}
    return [
        *_list_targets(rows),
        _queries_target("3a", "Queries per list request, cache cold", queries, COLD, COLD_QUERIES),
        _queries_target("3b", "Queries per list request, cache warm", queries, WARM, WARM_QUERIES),
        _target(
            "4",
            "1M: POST …/assign/ p99 while 4 clients read, 20 webhook endpoints",
            assign.get("assign_ms", {}).get("p99"),
            ASSIGN_P99_MS,
            at_least=False,
            unit=" ms",
        ),
        _target(
            "5a",
            "1M: Gunicorn worker RSS after 10,000 list requests",
            worker.get("max_rss_mb"),
            WORKER_RSS_MB,
            at_least=False,
            unit=" MB",
        ),
        _target(
            "5b",
            "1M: peak RSS of building a 100,000-row CSV report",
            report.get("peak_rss_mb"),
            REPORT_RSS_MB,
            at_least=False,
            unit=" MB",
        ),
        *_write_stream_targets(rows),
        _target(
            "7",
            "1M: POST …/bulk/ with 500 deliveries (median of 3)",
            (results.get("bulk", {}).get(LARGE) or {}).get("median_s"),
            BULK_CREATE_S,
            at_least=False,
            unit=" s",
        ),
        *_location_targets(results.get("locations", {}).get(LARGE) or {}),
    ]


# Printing ---------------------------------------------------------------------------


def _number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _ratio_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def scenario_label(row: dict) -> str:
    app = APP_LABELS.get(row["app"], row["app"])
    label = f"{app}: {SCENARIO_LABELS.get(row['scenario'], row['scenario'])}"
    if row.get("variant"):
        label += f" ({row['variant']})"
    if not row.get("ok", True):
        label += " FAILED"
    if row.get("disturbed"):
        label += " *"
    return label


TABLE_HEADER = (
    "scenario",
    "size",
    "req/s",
    "p50 ms",
    "p99 ms",
    "queries/req",
    "vs raw",
    "vs raw COUNT(*)",
    "1M/10k",
    "other CPU",
)


def table_rows(rows: list[dict]) -> list[tuple[str, ...]]:
    return [
        (
            scenario_label(row),
            row["size"],
            _number(row.get("rps")),
            _number(row.get("latency_ms", {}).get("p50"), 2),
            _number(row.get("latency_ms", {}).get("p99"), 2),
            "–" if row.get("queries") is None else str(row["queries"]),
            _ratio_text(row.get("vs_raw")),
            _ratio_text(row.get("vs_raw_exact")),
            _ratio_text(row.get("growth")),
            _number(row.get("foreign_cpu"), 2),
        )
        for row in rows
    ]


def format_table(rows: list[dict], *, markdown: bool = False) -> str:
    """The runs as a text table (or a Markdown one)."""
    body = table_rows(rows)
    if markdown:
        lines = ["| " + " | ".join(TABLE_HEADER) + " |"]
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(TABLE_HEADER) - 1)) + "|")
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [
        max(len(cells[i]) for cells in [TABLE_HEADER, *body]) for i in range(len(TABLE_HEADER))
    ]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    return "\n".join(
        [line(TABLE_HEADER), line(tuple("-" * w for w in widths))] + [line(c) for c in body]
    )


def format_targets(targets: list[dict], *, markdown: bool = False) -> str:
    if markdown:
        lines = ["| target | | result |", "|---|---|---|"]
        lines += [
            f"| {t['target']}. {t['name']} | **{t['status']}** | {t['summary']} |" for t in targets
        ]
        return "\n".join(lines)
    return "\n".join(
        f"{t['status']:>4}  {t['target']:<3} {t['name']}: {t['summary']}" for t in targets
    )


def markdown_report(results: dict) -> str:
    """The runs and the targets of ``results`` as Markdown (for the README)."""
    machine = results.get("machine", {})
    code = machine.get("code") or {}
    lines = [
        f"Measured {machine.get('date', '?')} on {machine.get('nproc', '?')} CPUs "
        f"({machine.get('cpu', '?')}), {machine.get('memory_gb', '?')} GB, "
        f"PostgreSQL {machine.get('postgresql', '?')}, Python {machine.get('python', '?')}, "
        f"{machine.get('wrk', 'wrk')}; commit {str(code.get('commit') or '?')[:7]}.",
        "",
        format_table(results.get("runs", []), markdown=True),
        "",
        format_targets(results.get("targets", []), markdown=True),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("results.json"))
    sys.stdout.write(markdown_report(json.loads(path.read_text())) + "\n")
