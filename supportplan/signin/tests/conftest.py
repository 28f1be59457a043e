import pytest

from supportplan.accounts.models import Role, Tenant, User
from supportplan.notifications.tests.conftest import smtp  # noqa: F401  (the real SMTP server)

from .saml_support import saml_idp  # noqa: F401  (the test SAML IdP)
from .test_browser_sso import browser_for  # noqa: F401  (Playwright pages, loopback only)


@pytest.fixture
def tenant(db):
    from supportplan.core.testing import T0

    return Tenant.objects.create(
        name="Acme", slug="acme", registered_email="it@acme.example", created_at=T0
    )


@pytest.fixture
def member(tenant):
    user = User.objects.create_user(
        "alice",
        email="alice@acme.example",
        password="right-horse-battery",
        role=Role.CUSTOMER_MEMBER,
        tenant=tenant,
        language="en",
    )
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
