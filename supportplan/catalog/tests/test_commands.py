"""`supportplan catalog load|diff|show|validate` as an operator types them."""

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command

from supportplan.catalog.models import CatalogVersion
from supportplan.core.models import AuditEntry

from .conftest import CATALOG_DIR

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("catalog", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_load_seeds_then_again():
    out, _ = run("load", "--seeds")
    assert out.splitlines()[0].startswith(
        "partner: loaded partner.yaml as catalog version 1 (3 plans"
    )
    assert out.splitlines()[1].startswith(
        "tencent: loaded tencent.yaml as catalog version 1 (4 plans"
    )
    out, _ = run("load", str(CATALOG_DIR / "partner.yaml"))
    assert out == "partner: partner.yaml is identical to version 1; nothing to load\n"
    assert CatalogVersion.objects.count() == 2


def test_a_broken_file_loads_nothing_and_lists_every_problem(tmp_path):
    data = yaml.safe_load((CATALOG_DIR / "tencent.yaml").read_text(encoding="utf-8"))
    data["plans"][1]["channels"].append("fax")
    data["plans"][3]["severities"]["usage_question"]["first_response"] = "an hour"
    broken = tmp_path / "tencent.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        # The good partner file is not loaded either: a run is all or nothing.
        call_command("catalog", "load", str(CATALOG_DIR / "partner.yaml"), str(broken), stderr=err)
    assert str(exc.value) == "catalog refused: 2 problem(s) listed above; nothing was loaded"
    assert err.getvalue().splitlines() == [
        "tencent.yaml:plans[1].channels[2]: unknown channel 'fax' (known: hotline, im_group, ticket)",
        "tencent.yaml:plans[3].severities.usage_question.first_response: bad duration 'an hour': "
        "write minutes, hours or days like '10m', '3h', '1h30m', '2d'",
    ]
    assert CatalogVersion.objects.count() == 0
    assert not AuditEntry.objects.filter(action="catalog.loaded").exists()


def test_validate(tmp_path):
    out, _ = run("validate", str(CATALOG_DIR / "partner.yaml"), str(CATALOG_DIR / "tencent.yaml"))
    assert out.splitlines() == [
        "partner.yaml: valid (partner, 3 plans, 12 software entries)",
        "tencent.yaml: valid (tencent, 4 plans, 14 software entries)",
    ]
    with pytest.raises(CommandError):
        run("validate", str(tmp_path / "missing.yaml"))


def test_diff_human_and_json(tmp_path):
    run("load", "--seeds")
    text = (CATALOG_DIR / "partner.yaml").read_text(encoding="utf-8")
    changed = tmp_path / "partner.yaml"
    changed.write_text(
        text.replace('monthly_price: "480"', 'monthly_price: "520"'), encoding="utf-8"
    )
    out, _ = run("diff", str(changed))
    assert out.splitlines()[:3] == [
        "partner: 1 change(s) against version 1",
        "  ~ plans.basic.monthly_price: 480 -> 520  [plans: basic]",
        "Who is affected (existing subscriptions and cases keep the version they were made under):",
    ]
    out, _ = run("diff", str(changed), "--json")
    body = json.loads(out)
    assert body["changes"] == [
        {
            "subject": "plans.basic.monthly_price",
            "kind": "changed",
            "area": "monthly_price",
            "old": "480",
            "new": "520",
            "plans": ["basic"],
        }
    ]
    assert CatalogVersion.objects.count() == 2  # diff loads nothing


def test_show_one_plan_bilingual():
    run("load", "--seeds")
    out, _ = run("show", "--provider", "partner", "--plan", "dedicated")
    lines = [line.strip() for line in out.splitlines()]
    assert "[dedicated] 专属级 / Dedicated — CNY 26,000 / month; terms: monthly, annual" in lines
    assert "hotline      热线电话 / Hotline (7x24, 950808转6 / 950808 ext. 6)" in lines
    assert "im_group     IM企业群 / IM enterprise group (5x8, WeLink / 企业微信 / WeCom)" in lines
    assert "core_production_down   核心生产系统不可用 / Core production system down: < 10m" in lines
    assert "general_guidance       一般性指导 / General guidance: < 16h" in lines
    assert (
        "escort                 云上保障护航服务（基础版） / Escort service (basic): 1 natural day(s) "
        "per annual order in at most 1 request(s); terms: annual; apply 10 working days ahead "
        "(recommended); locks the order"
    ) in lines
    assert "[vip]" not in out


def test_show_json():
    run("load", "--seeds")
    out, _ = run("show", "--provider", "tencent", "--json")
    body = json.loads(out)
    assert [p["code"] for p in body] == ["tencent"]
    assert [p["code"] for p in body[0]["plans"]] == ["s4", "s3", "s2", "s1"]
    assert body[0]["default_plan"] == "s4"
    assert body[0]["catalog_version"] == 1


def test_show_errors():
    with pytest.raises(CommandError) as exc:
        run("show")
    assert "no catalog is loaded" in str(exc.value)
    run("load", "--seeds")
    with pytest.raises(CommandError) as exc:
        run("show", "--provider", "partner", "--plan", "gold")
    assert str(exc.value) == "partner has no plan 'gold' (plans: basic, dedicated, vip)"
    with pytest.raises(CommandError) as exc:
        run("show", "--provider", "partner", "--catalog-version", "7")
    assert str(exc.value) == "partner has no catalog version 7"
