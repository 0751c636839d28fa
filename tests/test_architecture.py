"""The import rules bite: a copy of the code with one forbidden import makes `lint-imports`
fail, naming the contract. (The rules themselves are in pyproject.toml.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

VIOLATIONS = {
    "a view that queries": (
        "lti_tool/views/_probe.py",
        "from lti_tool.models import db\n",
        "A view never queries or commits",
    ),
    "a layer that imports upward": (
        "lti_tool/services/_probe.py",
        "from lti_tool.views import learner\n",
        "Layers run one way",
    ),
    "a service that reads sensitive models": (
        "lti_tool/services/_probe.py",
        "from lti_tool.models.private import Demographics\n",
        "Sensitive data only through the privacy service",
    ),
    "the domain importing the web": (
        "courses/_probe.py",
        "import flask\n",
        "The domain knows nothing",
    ),
    "a cycle": (
        "courses/_probe.py",
        "from courses import grading\n",
        "No import cycles",
    ),
}


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("tree")
    for name in ("lti_tool", "courses"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(  # noqa: S603 - our own venv's lint-imports on a temporary copy
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True
    )


def test_the_tree_as_it_is_keeps_every_contract(copy: Path) -> None:
    result = lint(copy)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_a_forbidden_import_breaks_its_contract(copy: Path, case: str) -> None:
    path, source, contract = VIOLATIONS[case]
    probe = copy / path
    if case == "a cycle":  # grading must import the probe for a cycle to exist
        (copy / "courses/grading.py").write_text(
            (ROOT / "courses/grading.py").read_text() + "\nfrom courses import _probe  # noqa\n"
        )
    probe.write_text(source)
    try:
        result = lint(copy)
    finally:
        probe.unlink()
        shutil.copy(ROOT / "courses/grading.py", copy / "courses/grading.py")
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[-1]
    assert contract in broken, result.stdout
