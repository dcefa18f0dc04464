"""The benchmark harness runs (figures are printed by benchmarks/, never asserted here)."""
import subprocess
import sys

from benchmarks.workers import Worker, paired_ratio, take_turns


def test_workers_take_turns_and_report():
    code = "from benchmarks.workers import serve; serve({'epoch': lambda: sum(range(1000))}, lambda: None, info={'how': 'sum'})"
    workers = [Worker(name, [sys.executable, "-c", code]) for name in ("a", "b")]
    assert all(w.alive for w in workers) and workers[0].info == {"ready": True, "how": "sum"}
    turns = take_turns(workers, "epoch", rounds=2, warmup=1, field=None)
    assert sorted(turns) == ["a", "b"] and all(len(t) == 2 for t in turns.values())
    assert all(t["seconds"] >= 0 and t["cpu_seconds"] >= 0 for ts in turns.values() for t in ts)
    assert workers[0].ask("rss")["peak_rss_mb"] > 0
    for w in workers:
        w.close()


def test_a_worker_that_fails_is_reported_not_fatal():
    w = Worker("broken", [sys.executable, "-c", "raise SystemExit('no such variant')"])
    assert not w.alive and "no such variant" in w.error
    assert w.ask("epoch") is None


def test_paired_ratio_is_the_median_of_per_round_ratios():
    times = {"m": [2.0, 3.0, 10.0], "r": [1.0, 3.0, 4.0]}
    assert paired_ratio(times, "m", "r") == 2.0
    assert paired_ratio(times, "m", "missing") is None


def test_mlp_benchmark_smoke_run():
    out = subprocess.run([sys.executable, "-m", "benchmarks.mlp", "--samples", "512", "--rounds", "1"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "epoch_vs_numpy_reference " in out.stdout and "peak_rss_vs_numpy_reference" in out.stdout


def test_transformer_benchmark_smoke_run():
    out = subprocess.run([sys.executable, "-m", "benchmarks.transformer", "--batches", "2", "--rounds", "1"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "Transformer encoder block training" in out.stdout and "multinn" in out.stdout
