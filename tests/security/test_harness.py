"""The attack count itself: a passing attack test counts as held, a failing one does not."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_suite_reports_attacks_tried_and_held(tmp_path):
    # a throwaway copy of the counting hooks, run over one attack that holds and one that does not
    (tmp_path / "tests" / "security").mkdir(parents=True)
    (tmp_path / "tests" / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "tests" / "security" / "test_two.py").write_text(
        "def test_held():\n    assert True\n\ndef test_broken_through():\n    assert False\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert "attacks: 2 tried, 1 held" in proc.stdout, proc.stdout
