"""A request id on every log line of a request, echoed in the response; JSON lines on demand."""

import io
import json
import logging
import logging.config

import pytest

from supportplan.core.logging import logging_config, request_id


def test_the_request_id_given_is_echoed_and_a_bad_one_is_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"})["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()


@pytest.fixture
def json_log():
    stream = io.StringIO()
    config = logging_config("json", "INFO")
    config["handlers"]["console"]["stream"] = "ext://sys.stdout"
    logging.config.dictConfig(config)
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    yield stream
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def test_json_lines_carry_the_request_id(json_log):
    token = request_id.set("req-7")
    try:
        logging.getLogger("supportplan.cases").info("case opened", extra={"case": 12})
    finally:
        request_id.reset(token)
    line = json.loads(json_log.getvalue().splitlines()[-1])
    assert {k: line[k] for k in ("level", "logger", "message", "request_id", "case")} == {
        "level": "INFO",
        "logger": "supportplan.cases",
        "message": "case opened",
        "request_id": "req-7",
        "case": 12,
    }


@pytest.mark.django_db(transaction=True)
def test_a_committed_sla_breach_is_logged_with_ids_only(caplog):
    from supportplan.core.audit import audit_log
    from supportplan.core.clock import now

    with caplog.at_level(logging.INFO, logger="supportplan.events"):
        audit_log(
            action="case.sla.breached",
            at=now(),
            data={"severity": "P1", "plan": "vip", "requester_email": "li@example.com"},
        )
        audit_log(action="case.viewed", at=now())
    [record] = [r for r in caplog.records if r.name == "supportplan.events"]
    assert record.getMessage() == "case.sla.breached :"
    assert (record.severity, record.plan, record.tenant_id) == ("P1", "vip", None)  # type: ignore[attr-defined]
    assert not hasattr(record, "requester_email")
