"""One key ring for secrets at rest: old values still decrypt, new writes use the first key."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from supportplan.core import secrets
from supportplan.notifications import secrets as robot_secrets
from supportplan.reports import credentials as cloud_credentials


def _legacy(salt: str, secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256((salt + secret_key).encode()).digest()))


def test_values_written_by_both_former_copies_still_decrypt(settings):
    settings.CREDENTIALS_KEY = Fernet.generate_key().decode()
    robot_token = _legacy("supportplan-credentials:", settings.SECRET_KEY).encrypt(b"hook-1")
    cloud_token = _legacy("supportplan-credentials|", settings.SECRET_KEY).encrypt(
        json.dumps({"sk": "S"}, sort_keys=True).encode()
    )
    assert robot_secrets.decrypt(robot_token.decode()) == "hook-1"
    assert cloud_credentials.decrypt(cloud_token.decode()) == {"sk": "S"}


def test_new_writes_use_the_first_key_and_old_keys_still_decrypt(settings):
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    written_before = Fernet(old.encode()).encrypt(b"before").decode()
    settings.CREDENTIALS_KEY = f"{new}, {old}"
    assert secrets.decrypt(written_before) == "before"
    written_now = secrets.encrypt("now")
    assert Fernet(new.encode()).decrypt(written_now.encode()) == b"now"
    settings.CREDENTIALS_KEY = old
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(written_now)


def test_a_malformed_key_names_the_variable(settings):
    settings.CREDENTIALS_KEY = "not-a-key"
    with pytest.raises(Exception) as info:
        secrets.encrypt("x")
    assert "SUPPORTPLAN_CREDENTIALS_KEY: key 1 is not a Fernet key" in str(info.value)


def test_rotate_rewrites_every_stored_secret_with_the_newest_key(settings, db):
    settings.SUPPORTPLAN_PAYMENT_PROVIDERS = ["bank_transfer", "test"]
    from supportplan.core.testing import T0
    from supportplan.notifications.models import Robot
    from supportplan.notifications.tests.factories import tenant_on
    from supportplan.subscriptions.tests.factories import load_catalogs

    load_catalogs(T0)
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEY = old
    tenant = tenant_on("partner", "vip")
    robot = Robot.objects.create(
        tenant=tenant,
        platform="wecom",
        name="ops",
        webhook_encrypted=secrets.encrypt("https://qyapi.weixin.qq.com/x?key=K"),
        secret_encrypted="",
        created_at=T0,
        updated_at=T0,
    )
    settings.CREDENTIALS_KEY = f"{new},{old}"
    call_command("credentials", "rotate")
    settings.CREDENTIALS_KEY = new
    robot.refresh_from_db()
    assert secrets.decrypt(robot.webhook_encrypted) == "https://qyapi.weixin.qq.com/x?key=K"
