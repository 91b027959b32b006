"""What a release carries: the wheel and the sdist hold the licence and say what copart is,
and the README (the package index's project page) links only to what the project holds
(a fresh clone in CI shows that holds for what is committed)."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

from tests.conftest import ROOT

LICENSE = (ROOT / "LICENSE").read_text(encoding="utf-8")


def build(target: str, out: Path) -> Path:
    r = subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", target, "-d", str(out)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (built,) = out.iterdir()
    return built


def check_metadata(text: str) -> None:
    meta = Parser().parsestr(text)
    assert meta["Name"] == "copart"
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    classifiers = meta.get_all("Classifier")
    assert "Environment :: Console" in classifiers
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    assert meta["Keywords"] and "community of practice" in meta["Keywords"]
    assert meta.get_payload().startswith("# copart")  # the README is the project page


def test_the_wheel_carries_the_licence_and_the_metadata(tmp_path):
    wheel = build("wheel", tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        (dist_info,) = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        assert zf.read(f"{dist_info}/licenses/LICENSE").decode() == LICENSE
        check_metadata(zf.read(f"{dist_info}/METADATA").decode())
    assert "Apache License" in LICENSE and "Version 2.0, January 2004" in LICENSE
    # what copart needs at run time is inside too
    assert "copart_cli/_data/templates/init/copart.yaml" in names
    assert any(n.startswith("copart_cli/_data/repertoire/stories/") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def test_the_sdist_carries_the_licences_and_the_tests_data(tmp_path):
    sdist = build("sdist", tmp_path)
    with tarfile.open(sdist) as tf:
        top = sdist.name.removesuffix(".tar.gz")
        names = set(tf.getnames())
        assert tf.extractfile(f"{top}/LICENSE").read().decode() == LICENSE
        check_metadata(tf.extractfile(f"{top}/PKG-INFO").read().decode())
    # the tests run from an unpacked sdist as from a clone: the corpus slice and its licences
    for rel in ("tests/data/corpus/PROVENANCE.txt", "tests/data/corpus/LICENSE.kubernetes-community.txt",
                "tests/data/corpus/LICENSE.sourcegraph-handbook.txt", "README.md", "pyproject.toml"):
        assert f"{top}/{rel}" in names, rel


def test_the_readme_links_only_to_what_the_project_holds():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert len(targets) >= 5
    for target in (t for t in targets if not re.match(r"[a-z]+:|#", t)):  # not a URL, not an anchor
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"README links to {target}, not in the project"
