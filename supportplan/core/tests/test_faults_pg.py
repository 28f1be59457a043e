"""Real processes, real faults, on PostgreSQL (issue 14); the figures: benchmarks/faults.py.

A `db_worker` killed with SIGKILL inside a task: its RUNNING row is put back by the product's
recovery and run by another worker, once. A gunicorn server whose database connections are
killed under load: every answer is 2xx or the API's 503 envelope with Retry-After, and it
serves again afterwards."""

import pytest

from . import faultkit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_inside_a_task_loses_and_doubles_nothing():
    figures = faultkit.worker_kill(cases=6, running_timeout=2.0)
    print(figures)  # shown with -s
    assert figures["problems"] == []
    assert figures["statuses"] == {"SUCCESSFUL": 6}
    # warning, breach and escalation of every case, once each
    assert figures["audit_entries_added"] == 18
    assert len(figures["rerun_by"]) == 1 and figures["rerun_by"][0] in ("worker-b", "worker-c")
    assert figures["worker_exit_codes"] == {"worker-b": 0, "worker-c": 0}


def test_dropped_database_connections_under_load_answer_503_envelopes_or_2xx():
    figures = faultkit.connection_drop(seconds=6.0, clients=6, drops=2)
    print(figures)  # shown with -s
    assert figures["problems"] == []
    assert figures["other"] == 0
    assert figures["2xx"] > 0 and figures["requests"] == figures["2xx"] + figures["503"]
    assert all(n >= 1 for n in figures["connections_terminated"])
