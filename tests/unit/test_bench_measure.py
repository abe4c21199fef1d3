"""The benchmark's memory sampling: the command's child processes are told apart."""

import sys

from bench.measure import run_measured

CHILD = "import time; block = b'x' * 150_000_000; time.sleep(1.5)"


def test_a_child_process_memory_counts_for_the_subprocesses_and_the_tree(tmp_path):
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {CHILD!r}])"
    measured = run_measured([sys.executable, "-c", parent], tmp_path / "log", interval=0.02)
    assert measured.returncode == 0
    assert measured.peak_subprocess_pss_mb > 140  # the child's 150 MB block
    assert measured.peak_pss_mb >= measured.peak_subprocess_pss_mb
    assert measured.peak_pss_mb - measured.peak_subprocess_pss_mb < 100  # the parent is small
