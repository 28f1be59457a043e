"""pylock.toml is in sync with pyproject.toml and installs from the public index only
(scripts/lock_check.py; no network)."""

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "lock_check.py"
pytestmark = pytest.mark.skipif(
    not (SCRIPT.exists() and (ROOT / "pylock.toml").exists()),
    reason="runs in a source checkout (scripts/ and pylock.toml are not in the wheel)",
)


def lock_check():
    spec = importlib.util.spec_from_file_location("lock_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lock_file_is_in_sync_with_pyproject():
    assert lock_check().problems(ROOT) == []


def test_a_dependency_missing_from_the_lock_or_a_local_file_is_reported(tmp_path):
    for name in ("pyproject.toml", "pylock.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    pyproject = tmp_path / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(
        text.replace(
            "dependencies = [\n", 'dependencies = [\n  "left-pad-nowhere>=1",\n  ', 1
        ).replace('"django>=6.1,<6.2"', '"django>=7.0"', 1)
    )
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        lock.read_text().replace("https://files.pythonhosted.org/", "file:///opt/pypi/files/", 1)
    )
    found = lock_check().problems(tmp_path)
    assert "left-pad-nowhere>=1: in pyproject.toml, not in pylock.toml" in found
    assert any(p.startswith("django>=7.0: pylock.toml has 6.") for p in found), found
    assert sum("is not from an https index: file:///opt/pypi/files/" in p for p in found) == 1
    assert len(found) == 3, found
