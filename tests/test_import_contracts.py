"""The layering contracts of docs/ARCHITECTURE.md (import-linter, in pyproject.toml) hold and can fail.

The contracts are checked on the package as it stands; then, in a temporary copy of the package, one deliberate
wrong import is added and ``lint-imports`` must fail naming the contract it breaks. (An upward import between two
packages that already import downward also closes a loop, so more than one contract may break; the named ones
must.) Contract names are read from pyproject.toml, so a renamed contract cannot make these tests pass vacuously.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is a dev dependency")


def contract_names() -> dict[str, str]:
    """Contract id -> name, as pyproject.toml states them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c["name"] for c in config["tool"]["importlinter"]["contracts"]}


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` on the package found in ``where`` (and only there), with ``where``'s pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(where), "NO_COLOR": "1"}
    return subprocess.run(
        [str(LINT_IMPORTS), str(where / "pyproject.toml"), "--no-cache"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_package_keeps_every_contract() -> None:
    names = contract_names()
    assert len(names) >= 4
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in names.values():
        assert f"{name} KEPT" in run.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # physics (a bottom layer, pure formulas) reaching up into the network.
        ("physics/fiber.py", "import qnet_dqnn.net.classical", {"layers", "pure-physics-quantum"}),
        # the core reaching a bridge.
        ("scenario/result.py", "import qnet_dqnn.interop.qunetsim.bridge", {"layers", "core-imports-no-bridge"}),
        # anything importing the CLI.
        ("report/save.py", "import qnet_dqnn.cli", {"layers", "no-cli-importers"}),
        # a new loop between two sibling modules of one layer.
        ("quantum/gates.py", "import qnet_dqnn.quantum.circuit", {"acyclic"}),
    ],
)
def test_a_deliberate_wrong_import_breaks_its_contract(
    tmp_path: Path, module: str, line: str, broken: set[str]
) -> None:
    shutil.copytree(ROOT / "qnet_dqnn", tmp_path / "qnet_dqnn", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "qnet_dqnn" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # deliberate wrong import\n", encoding="utf-8")

    run = lint_imports(tmp_path)

    assert run.returncode != 0, run.stdout
    names = contract_names()
    for contract_id in broken:
        assert f"{names[contract_id]} BROKEN" in run.stdout, (contract_id, run.stdout)
