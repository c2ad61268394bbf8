"""What the benchmark makes of its measurements: ratios, targets, the printed table."""

import json
import re

import pytest

from bench import summary
from bench.summary import COLD, FIRST, LOGITRACK, RAW, RAW_EXACT, STATUS, WARM


def run(app, scenario, size, variant="", rps=100.0, *, ok=True, p50=5.0, p99=9.0):
    return {
        "app": app,
        "scenario": scenario,
        "variant": variant,
        "size": size,
        "rps": rps,
        "latency_ms": {"p50": p50, "p99": p99},
        "ok": ok,
        "page_size": 50,
    }


def by_target(targets):
    return {t["target"]: t for t in targets}


def test_sizes_parse_and_sort_smallest_first():
    assert summary.parse_size("10k") == 10_000
    assert summary.parse_size("1M") == 1_000_000
    assert summary.parse_size("2500") == 2_500
    assert summary.parse_sizes(None) == ["10k", "1m"]
    assert summary.parse_sizes("1m, 10k,10k") == ["10k", "1m"]
    with pytest.raises(ValueError, match="not a data set size"):
        summary.parse_sizes("10k,lots")


def test_wrk_result_line_gives_requests_per_second_and_milliseconds():
    line = {
        "requests": 5000,
        "duration_us": 10_000_000,
        "bytes": 1,
        "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
        "latency_us": {"mean": 1500.0, "max": 9000, "p50": 1200, "p90": 2000, "p99": 4500},
    }
    output = "Running 10s test\nBENCH_RESULT " + json.dumps(line) + "\n"
    result = summary.parse_wrk(output)
    assert result["rps"] == 500
    assert result["latency_ms"]["p50"] == 1.2
    assert result["latency_ms"]["p99"] == 4.5
    assert result["ok"] is True

    line["errors"]["status"] = 3  # e.g. 429 answers: not a valid measurement
    assert summary.parse_wrk("BENCH_RESULT " + json.dumps(line))["ok"] is False
    with pytest.raises(ValueError, match="no BENCH_RESULT"):
        summary.parse_wrk("unable to connect to 127.0.0.1:1")


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert summary.percentile(values, 0.5) == 50
    assert summary.percentile(values, 0.99) == 99
    assert summary.percentile([7.0], 0.99) == 7
    assert summary.percentile([], 0.5) is None


def test_ratios_against_raw_and_between_sizes():
    rows = [
        run(RAW, FIRST, "10k", rps=1000),
        run(RAW, STATUS, "10k", rps=800),
        run(RAW_EXACT, FIRST, "10k", rps=2000),
        run(LOGITRACK, FIRST, "10k", COLD, rps=500),
        run(LOGITRACK, STATUS, "10k", COLD, rps=400),
        run(LOGITRACK, FIRST, "1m", COLD, rps=450),
        run(LOGITRACK, STATUS, "1m", COLD, rps=100, ok=False),
    ]
    summary.add_ratios(rows)
    first_small, status_small, first_large, status_large = rows[3:]
    assert first_small["vs_raw"] == 0.5
    assert first_small["vs_raw_exact"] == 0.25
    assert status_small["vs_raw"] == 0.5
    assert first_large["growth"] == 0.9
    assert first_large["vs_raw"] is None  # no raw run at 1m
    assert status_large["growth"] is None  # a failed run gives no ratio
    assert rows[0]["vs_raw"] is None


def complete_results(**overrides):
    rps = {
        (RAW, FIRST, "1m", ""): 1000,
        (LOGITRACK, FIRST, "1m", COLD): 600,  # 0.6× raw: met
        (LOGITRACK, FIRST, "1m", WARM): 650,  # 0.65× raw: missed
        (LOGITRACK, FIRST, "10k", COLD): 700,
        (LOGITRACK, FIRST, "10k", WARM): 800,
        (LOGITRACK, STATUS, "1m", COLD): 500,
        (LOGITRACK, STATUS, "10k", COLD): 500,
        (LOGITRACK, STATUS, "1m", WARM): 700,
        (LOGITRACK, STATUS, "10k", WARM): 1000,
        (LOGITRACK, summary.DEEP, "1m", COLD): 600,
        (LOGITRACK, summary.DEEP, "1m", WARM): 450,
        (LOGITRACK, summary.READS_DURING_WRITES, "1m", COLD): 500,
        (LOGITRACK, summary.READS_DURING_WRITES, "1m", WARM): 400,
    }
    rps.update(overrides)
    queries = {
        size: {
            "requests": [
                {"scenario": scenario, "page_size": page_size, "cold": 3, "warm": 1}
                for scenario in (FIRST, STATUS)
                for page_size in (10, 50, 100)
            ]
        }
        for size in ("10k", "1m")
    }
    return {
        "runs": [run(*key, rps=value) for key, value in rps.items()],
        "queries": queries,
        "assign": {"1m": {"assign_ms": {"p50": 12.0, "p99": 61.0}}},
        "bulk": {"1m": {"median_s": 2.5}},
        "memory": {
            "workers": {"1m": {"max_rss_mb": 120.0}},
            "report": {"1m": {"peak_rss_mb": 180.0}},
        },
    }


def test_targets_pass_or_miss_with_their_margin():
    targets = by_target(summary.evaluate_targets(complete_results()))
    assert targets["1a"]["status"] == summary.MET
    assert targets["1a"]["measured"] == pytest.approx(0.6)
    assert targets["1a"]["margin"] == pytest.approx(0.2)
    assert targets["1b"]["status"] == summary.MISSED
    assert targets["1b"]["margin"] == pytest.approx(0.65 / 0.7 - 1)
    assert "short by 7%" in targets["1b"]["summary"]
    assert targets["2a"]["status"] == summary.MET  # 600 / 700
    assert targets["2b"]["status"] == summary.MET  # 650 / 800
    assert targets["2c"]["status"] == summary.MET  # 500 / 500
    assert targets["2d"]["status"] == summary.MISSED  # 700 / 1000
    assert targets["2e"]["status"] == summary.MET  # deep 600 vs first 600
    assert targets["2f"]["status"] == summary.MISSED  # deep 450 vs first 650
    assert targets["3a"]["status"] == summary.MET
    assert targets["3b"]["status"] == summary.MET
    assert targets["4"]["status"] == summary.MISSED  # p99 61 ms
    assert "over by 22%" in targets["4"]["summary"]
    assert targets["5a"]["status"] == summary.MET
    assert targets["5b"]["status"] == summary.MET
    # Reads while writes flow, against the quiet reads and between cache off and on.
    assert targets["6a"]["status"] == summary.MISSED  # warm 400 vs quiet 650
    assert targets["6a"]["measured"] == pytest.approx(400 / 650)
    assert targets["6b"]["status"] == summary.MET  # cold 500 vs quiet 600
    assert targets["6c"]["status"] == summary.MISSED  # cache on 400 vs off 500
    assert targets["7"]["status"] == summary.MET  # 2.5 s for 500 deliveries


def test_queries_that_grow_with_the_page_size_miss():
    results = complete_results()
    results["queries"]["1m"]["requests"][2]["cold"] = 4  # page_size 100 costs one more
    targets = by_target(summary.evaluate_targets(results))
    assert targets["3a"]["status"] == summary.MISSED
    assert "grows with the page size" in targets["3a"]["summary"]
    assert targets["3b"]["status"] == summary.MET


def test_too_many_warm_queries_miss():
    results = complete_results()
    for entry in results["queries"]["10k"]["requests"]:
        entry["warm"] = 2
    assert by_target(summary.evaluate_targets(results))["3b"]["status"] == summary.MISSED


def test_what_was_not_measured_is_not_judged():
    small_only = {
        "runs": [run(LOGITRACK, FIRST, "10k", COLD), run(RAW, FIRST, "10k")],
        "queries": {},
    }
    targets = summary.evaluate_targets(small_only)
    assert {t["status"] for t in targets} == {summary.NOT_MEASURED}


def test_table_shows_every_run_with_its_ratios():
    rows = [run(RAW, FIRST, "10k", rps=1000), run(LOGITRACK, FIRST, "10k", COLD, rps=612.34)]
    summary.add_ratios(rows)
    rows[1]["queries"] = 3
    rows[1]["foreign_cpu"] = 0.4
    rows[1]["disturbed"] = True
    header, rule, raw_line, logitrack_line = summary.format_table(rows).splitlines()
    columns = re.split(r"\s{2,}", header.strip())
    cells = dict(zip(columns, re.split(r"\s{2,}", logitrack_line.strip()), strict=True))
    assert cells["scenario"] == "LogiTrack: deliveries, first page (cold) *"
    assert cells["req/s"] == "612.3"
    assert cells["queries/req"] == "3"
    assert cells["vs raw"] == "0.61×"
    assert cells["other CPU"] == "0.40"
    markdown = summary.format_table(rows, markdown=True).splitlines()
    assert markdown[0].startswith("| scenario | size | req/s |")
    assert len(markdown) == 4


def test_queries_are_attached_to_the_matching_runs():
    rows = [
        run(LOGITRACK, FIRST, "1m", COLD),
        run(LOGITRACK, FIRST, "1m", WARM),
        run(RAW, FIRST, "1m"),
        run(LOGITRACK, summary.READS_DURING_ASSIGN, "1m", WARM),
    ]
    probe = {
        "requests": [
            {"scenario": FIRST, "page_size": 10, "cold": 9, "warm": 9},
            {"scenario": FIRST, "page_size": 50, "cold": 3, "warm": 1},
        ]
    }
    summary.attach_queries(rows, {"1m": probe})
    assert [row["queries"] for row in rows] == [3, 1, None, None]


def test_markdown_report_names_the_machine_and_the_commit():
    results = complete_results()
    results["targets"] = summary.evaluate_targets(results)
    results["machine"] = {
        "date": "2026-01-01T00:00:00+00:00",
        "nproc": 2,
        "cpu": "Some CPU",
        "memory_gb": 24.0,
        "postgresql": "15.2",
        "python": "3.11.7",
        "wrk": "wrk 4.1.0",
        "code": {"commit": "0123456789abcdef", "modified_files": 0},
    }
    report = summary.markdown_report(results)
    assert report.startswith("Measured 2026-01-01T00:00:00+00:00 on 2 CPUs (Some CPU)")
    assert "commit 0123456." in report
    assert "| 1a. 1M: list first page, cache cold, vs raw app (req/s ratio) | **PASS** |" in report


def test_location_targets_judge_ingestion_and_the_slower_read():
    results = {
        "locations": {
            "1m": {
                "ingest": {"points_per_s": 6_000.0},
                "selector": {"driver": {"p50_ms": 0.8}, "vehicle": {"p50_ms": 6.5}},
            }
        }
    }

    targets = by_target(summary.evaluate_targets(results))

    assert (targets["8a"]["status"], targets["8a"]["measured"]) == (summary.MET, 6_000.0)
    assert (targets["8b"]["status"], targets["8b"]["measured"]) == (summary.MISSED, 6.5)
    assert by_target(summary.evaluate_targets({}))["8a"]["status"] == summary.NOT_MEASURED
