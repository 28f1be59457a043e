import pytest

from supportplan.core.testing import T0

from .receivers import RobotReceiver, SmtpReceiver


@pytest.fixture(autouse=True)
def _notification_settings(settings):
    settings.NOTIFICATIONS_ROBOT_EXTRA_HOSTS = ["127.0.0.1"]
    settings.SUPPORTPLAN_SITE_URL = "https://support.example"
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]


@pytest.fixture
def smtp(settings):
    receiver = SmtpReceiver().start()
    settings.MAILERS = receiver.mailer_settings()
    yield receiver
    receiver.stop()


@pytest.fixture
def robot_receiver():
    started: list[RobotReceiver] = []

    def start(platform: str, **kw) -> RobotReceiver:
        receiver = RobotReceiver(platform, **kw)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def catalogs(db):
    from supportplan.subscriptions.tests.factories import load_catalogs

    load_catalogs(T0)
