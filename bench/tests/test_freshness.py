"""The benchmark's freshness arithmetic (the benchmark itself runs with `make bench`, not in the tests)."""

from bench.freshness import Observer, percentiles


def test_a_commit_counts_as_visible_from_the_first_sample_whose_snapshot_covers_it():
    observer = Observer()
    # (seen at, fresh_as_of): snapshots at 10.0, 10.2 (seen at 10.5), a stale sample at 10.6, then 11.0.
    observer.samples[("redis", "ar_aging")] = [(10.1, 10.0), (10.5, 10.2), (10.6, 9.0), (11.2, 11.0)]
    delays = observer.visible_after("redis", "ar_aging", [10.05, 10.2, 10.3, 12.0])
    # 10.05 and 10.2 are covered by the 10.2 snapshot seen at 10.5; 10.3 by the 11.0 one seen at 11.2;
    # 12.0 was never covered and is left out.
    assert [round(d, 2) for d in delays] == [0.45, 0.3, 0.9]


def test_percentiles():
    assert percentiles([]) == {"n": 0}
    summary = percentiles([float(n) for n in range(100, 0, -1)])
    assert summary == {"n": 100, "p50": 50.5, "p95": 95.0, "max": 100.0}
