"""The `supportplan` console command in a shell pipeline."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    """A migrated SQLite file of its own: the command runs in a child process."""
    path = tmp_path_factory.mktemp("cli") / "cli.sqlite3"
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "SUPPORTPLAN_SQLITE_PATH": str(path)}
    env.pop("DATABASE_URL", None)
    # The command as a developer types it in the checkout (the installed one defaults to the
    # production settings, which need their secrets).
    env["DJANGO_SETTINGS_MODULE"] = "supportplan.config.settings.dev"
    subprocess.run([sys.executable, "-c", MAIN, "migrate", "-v0"], env=env, check=True, timeout=300)
    return env


MAIN = "from supportplan.cli import main; main()"


@pytest.mark.parametrize(
    "argv",
    [["report", "deadline", "2026-01"], ["report", "deadline", "2026-01", "--json"], ["help"]],
)
def test_a_reader_that_goes_away_is_no_traceback(argv, cli_env):
    # `supportplan … | head -1`, made deterministic: the reading end is closed before the
    # command writes anything, so its first write (or the final flush) meets EPIPE.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-c", MAIN, *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=cli_env,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr.decode() == ""
    assert done.returncode == 141
