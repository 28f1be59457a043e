"""`make run`: the printed log-in table names the address actually served, and each log
line of the worker is written once."""

from __future__ import annotations

import io
import logging
import logging.config

from django.conf import settings
from django.utils.log import DEFAULT_LOGGING

from supportplan import demo


def test_login_banner_names_the_configured_port(settings):
    settings.SUPPORTPLAN_SITE_URL = "http://127.0.0.1:9040"
    banner = demo.login_banner(demo.DemoContext(now=None))  # type: ignore[arg-type]
    assert banner.startswith("\nDemo log-ins (http://127.0.0.1:9040/):\n")
    assert "8000" not in banner.splitlines()[1]


def test_a_django_tasks_line_is_written_once(monkeypatch):
    """Django applies its DEFAULT_LOGGING and then ours; a django.tasks record (the worker's
    log) must reach exactly one stream."""
    stream = io.StringIO()
    before = logging.root.manager.loggerDict.copy()
    try:
        logging.config.dictConfig(DEFAULT_LOGGING)
        ours = {**settings.LOGGING}
        ours["handlers"] = {
            "console": {"class": "logging.StreamHandler", "stream": stream},
        }
        monkeypatch.setattr(settings, "DEBUG", True)
        logging.config.dictConfig(ours)
        # Django's own console handler writes to stderr: point it at the same stream.
        for logger in (logging.getLogger("django"), logging.root):
            for handler in logger.handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(stream)
        logging.getLogger("django.tasks").info("Task id=1 finished")
        assert stream.getvalue().count("Task id=1 finished") == 1
    finally:
        logging.config.dictConfig(settings.LOGGING)
        assert before.keys() <= logging.root.manager.loggerDict.keys()
