"""`supportplan scope check`: the catalog's answer from the shell, readable and as JSON."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .factories import load_catalogs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalogs(db):
    load_catalogs()


def run(*args):
    out = StringIO()
    call_command("scope", "check", *args, stdout=out)
    return out.getvalue()


def test_openvpn_23_is_out_for_tencent_and_in_for_the_partner():
    out = run(
        "--provider", "tencent", "--software", "openvpn", "--version", "2.3", "--platform", "linux"
    )
    assert out.splitlines()[0] == "OUT OF SCOPE (version_not_supported)"
    assert "where to go instead:" in out
    out = run("--provider", "partner", "--software", "openvpn", "--version", "2.3")
    assert out.splitlines()[0] == "IN SCOPE (in_scope)"


def test_json_for_scripts():
    body = json.loads(
        run(
            "--provider",
            "tencent",
            "--software",
            "SQL Server",
            "--version",
            "2008 R2 SP3",
            "--json",
        )
    )
    assert body["in_scope"] is True and body["entry"]["code"] == "sql_server"
    body = json.loads(
        run("--provider", "partner", "--software", "mysql", "--version", "8.0", "--json")
    )
    assert body["in_scope"] is False and body["reason_code"] == "version_not_supported"
    assert body["where_to_go"]["en"]


def test_unknown_provider_is_a_clear_error():
    with pytest.raises(CommandError) as info:
        run("--provider", "nope", "--software", "mysql", "--version", "5.7")
    assert "supportplan catalog load" in str(info.value)
