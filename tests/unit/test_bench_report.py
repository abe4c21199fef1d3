"""The benchmark's per-round ratios: each round's job time over the reference's."""

from bench.run import round_ratios


def entry(job: list[float], duckdb: list[float]) -> dict:
    return {
        "rows": 5_000_000,
        "engines": {"job": {"attempts": job}, "duckdb": {"attempts": duckdb}},
    }


def test_each_round_pairs_the_job_with_the_reference_of_the_same_round():
    # Best against best: 30 / 10 = 3.00; the rounds themselves give a median of 2.50.
    lines = round_ratios(entry([30.0, 36.0, 40.0], [12.0, 10.0, 20.0]))
    assert lines == ["- 5,000,000 duckdb: 2.50 / 3.60 / 2.00 (median 2.50)"]


def test_one_round_has_nothing_to_pair():
    assert round_ratios(entry([30.0], [10.0])) == []
