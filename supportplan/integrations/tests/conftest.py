"""Fixtures shared with other test modules: the group robots' receivers (test_im_files) and the
configured LOGGING written into a buffer (notifications' log-capture test for secrets)."""

from supportplan.integrations.tests.test_im_files import robots  # noqa: F401
from supportplan.notifications.tests.test_no_secret_in_logs import written_log  # noqa: F401
