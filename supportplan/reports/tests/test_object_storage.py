"""Attachments and reports on S3-compatible object storage (Tencent COS and Huawei OBS speak
S3): against a real S3 server on 127.0.0.1 (moto's standalone server), nothing on disk."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer

from supportplan.accounts.models import Role
from supportplan.cases.models import Attachment
from supportplan.cases.tests.factories import customer, load_catalogs
from supportplan.config.settings.base import storage_backend
from supportplan.core import clock
from supportplan.core.testing import api_client, make_user
from supportplan.reports import services
from supportplan.reports.data import Month
from supportplan.reports.models import Report

BUCKET = "supportplan-files"


@pytest.fixture
def s3(settings, tmp_path, monkeypatch):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "SUPPORTPLAN_STORAGE": "s3",
        "SUPPORTPLAN_S3_BUCKET": BUCKET,
        "SUPPORTPLAN_S3_ENDPOINT": endpoint,
        "SUPPORTPLAN_S3_REGION": "ap-guangzhou",
        "SUPPORTPLAN_S3_ACCESS_KEY": "test-access",
        "SUPPORTPLAN_S3_SECRET_KEY": "test-secret",
        "SUPPORTPLAN_S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="ap-guangzhou",
        aws_access_key_id="test-access",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-guangzhou"}
    )
    settings.MEDIA_ROOT = tmp_path / "media"  # must stay empty
    settings.STORAGES = {**settings.STORAGES, "default": storage_backend()}
    yield client
    server.stop()


def _keys(client) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_attachments_and_reports_live_in_the_bucket(
    db, s3, settings, django_capture_on_commit_callbacks
):
    from storages.backends.s3 import S3Storage

    assert isinstance(default_storage._setup() or default_storage._wrapped, S3Storage)
    load_catalogs()
    now = clock.now()
    tenant, user, _systems = customer("partner", "vip", start=now - timedelta(days=70))
    client = api_client(user)
    case = client.post(
        "/api/cases/",
        {
            "provider": "partner",
            "channel": "ticket",
            "severity": "general_guidance",
            "subject": "Disk full",
            "description": "The log volume is full.",
        },
        format="json",
    )
    assert case.status_code == 201, case.json()
    case_id = case.json()["id"]
    upload = SimpleUploadedFile("error.log", b"Traceback: disk full\n", content_type="text/plain")
    res = client.post(f"/api/cases/{case_id}/attachments/", {"file": upload}, format="multipart")
    assert res.status_code == 201, res.json()
    att = Attachment.objects.get(pk=res.json()["id"])
    assert att.file.name in _keys(s3)
    body = s3.get_object(Bucket=BUCKET, Key=att.file.name)["Body"].read()
    assert body == b"Traceback: disk full\n"
    down = client.get(f"/api/cases/{case_id}/attachments/{att.pk}/download/")
    assert b"".join(down.streaming_content) == b"Traceback: disk full\n"

    services.data_source_add(tenant=tenant, kind="demo", settings={"seed": "s3"}, now=now)
    month = Month.containing(now).previous()
    staff = api_client(make_user(Role.SUPPORT_MANAGER))
    gen = staff.post(
        "/api/reports/generate/", {"tenant": tenant.pk, "month": month.label}, format="json"
    )
    assert gen.status_code == 202 and gen.json()["state"] == "done", gen.json()
    report = Report.objects.get(pk=gen.json()["id"])
    assert {report.pdf_file.name, report.html_file.name} <= _keys(s3)
    pdf = client.get(f"/api/reports/{report.pk}/pdf/")
    data = b"".join(pdf.streaming_content)
    assert data[:5] == b"%PDF-"
    assert data == s3.get_object(Bucket=BUCKET, Key=report.pdf_file.name)["Body"].read()
    # a forced regeneration replaces the objects in place (same names, new content)
    names = (report.pdf_file.name, report.html_file.name)
    with django_capture_on_commit_callbacks(execute=True):
        again = staff.post(
            "/api/reports/generate/",
            {"tenant": tenant.pk, "month": month.label, "force": True},
            format="json",
        )
    assert again.status_code == 202
    report.refresh_from_db()
    assert (report.pdf_file.name, report.html_file.name) == names
    assert not any(k.endswith(".next") for k in _keys(s3))
    new = b"".join(client.get(f"/api/reports/{report.pk}/pdf/").streaming_content)
    assert new == s3.get_object(Bucket=BUCKET, Key=names[0])["Body"].read()
    assert not (settings.MEDIA_ROOT).exists() or not any(settings.MEDIA_ROOT.rglob("*.*"))
