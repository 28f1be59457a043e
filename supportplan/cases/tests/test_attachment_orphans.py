"""Attachment files whose row never committed are swept (no file outlives its data)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from supportplan.accounts.models import Role
from supportplan.cases import attachments, services
from supportplan.cases.models import Attachment
from supportplan.core.testing import make_user

from .factories import at, customer, load_catalogs

pytestmark = pytest.mark.django_db

T = at("2026-11-23T10:00:00+08:00")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def files_under(root) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), root) for d, _dirs, fs in os.walk(root) for f in fs}


def age(root, name: str, hours: float) -> None:
    stamp = T.timestamp() - hours * 3600
    os.utime(root / name, (stamp, stamp))


def test_a_rolled_back_upload_leaves_a_file_that_the_sweep_removes_after_the_grace(media):
    load_catalogs()
    make_user(Role.ENGINEER)
    tenant, user, _systems = customer("partner", "basic")
    case = services.case_open(
        actor=user, tenant=tenant, provider="partner", channel="ticket",
        severity="general_guidance", subject="Disk", description="The disk is full.", now=T,
    )  # fmt: skip
    kept = attachments.case_attach(
        actor=user, case=case, upload=SimpleUploadedFile("a.log", b"kept\n"), now=T
    )

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        attachments.case_attach(
            actor=user, case=case, upload=SimpleUploadedFile("b.log", b"lost\n"), now=T
        )
        raise Abort  # e.g. a later step of the same request failed

    on_disk = files_under(media)
    assert len(on_disk) == 2 and kept.file.name in on_disk
    (orphan,) = on_disk - {kept.file.name}
    assert Attachment.objects.count() == 1

    for name in on_disk:
        age(media, name, hours=5)
    assert attachments.sweep_orphan_files(as_of=T) == []  # younger than 6 h: maybe in flight
    for name in on_disk:
        age(media, name, hours=7)
    assert attachments.sweep_orphan_files(as_of=T) == [orphan]
    assert files_under(media) == {kept.file.name}
    assert attachments.sweep_orphan_files(as_of=T + timedelta(days=1)) == []


def test_sweep_with_no_attachment_folder_does_nothing(media):
    assert attachments.sweep_orphan_files(as_of=T) == []
