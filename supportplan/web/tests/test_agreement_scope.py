"""Issue 15 items 21 and 23 in the portal: the agreement checkbox links to the provider's
agreement (catalog data, versioned) and the order shows the version accepted; self-service items
are links per provider; the plan scope and FAQ of seed 000 are shown where a plan is chosen and
where a case is opened, in both languages."""

import re

import pytest
from django.urls import reverse

from supportplan.subscriptions.models import Order

from .conftest import client_for, make_customer

pytestmark = pytest.mark.django_db


def _hrefs(html: str, marker: str) -> list[str]:
    return re.findall(rf'<a href="([^"]+)"[^>]*{marker}', html)


def test_the_agreement_checkbox_links_to_the_providers_agreement(basic):
    client = client_for(basic.admin)
    html = client.post(
        reverse("web:plan_change"),
        {"provider": "partner", "plan": "basic", "term": "monthly", "count": "1"},
    ).content.decode()
    link = re.search(
        r'<p class="small u-mt-03" data-agreement-link><a href="([^"]+)"[^>]*>([^<]+)</a>', html
    )
    assert link is not None
    assert link.group(1) == "/plans/agreement/partner/"
    assert link.group(2) == (
        "Read the agreement: iSoftStone large-customer support plan service agreement "
        "(version 2026-01)"
    )
    assert '<input type="hidden" name="agreement_version" value="2026-01">' in html


@pytest.mark.parametrize(
    "language,provider,title,first_words",
    [
        (
            "en",
            "partner",
            "iSoftStone large-customer support plan service agreement",
            "1. What is provided.",
        ),
        ("zh-hans", "partner", "软通动力大客户支持计划服务协议", "一、服务内容。"),
        ("en", "tencent", "Tencent Cloud service plan agreement", "1. What is provided."),
        ("zh-hans", "tencent", "腾讯云服务计划服务协议", "一、服务内容。"),
    ],
)
def test_the_agreement_page_in_both_languages(basic, language, provider, title, first_words):
    basic.admin.language = language
    html = (
        client_for(basic.admin, language)
        .get(reverse("web:agreement", args=[provider]))
        .content.decode()
    )
    assert f'<h1 id="agreement-title">{title}</h1>' in html
    assert 'data-agreement-version="2026-01"' in html
    paragraphs = re.findall(
        r"<p>([^<]+)</p>", html.split('class="card agreement"')[1].split("</article>")[0]
    )
    assert len(paragraphs) == 7 and paragraphs[0].startswith(first_words)
    assert f'href="/plans/?provider={provider}"' in html  # the way back


def test_an_unknown_agreement_version_or_provider_is_404(basic):
    client = client_for(basic.admin)
    assert (
        client.get(reverse("web:agreement", args=["partner"]), {"version": "1999"}).status_code
        == 404
    )
    assert client.get(reverse("web:agreement", args=["nobody"])).status_code == 404
    assert (
        client.get(reverse("web:agreement", args=["partner"]), {"catalog": "x"}).status_code == 404
    )


def test_the_order_and_the_statement_show_the_version_accepted(basic):
    client = client_for(basic.admin)
    response = client.post(
        reverse("web:plan_change"),
        {
            "provider": "partner",
            "plan": "dedicated",
            "confirm": "1",
            "method": "bank_transfer",
            "accept": "1",
            "agreement_version": "2026-01",
        },
    )
    assert response.status_code == 302
    order = Order.objects.filter(tenant=basic.tenant, plan_code="dedicated").get()
    assert (order.agreement_version, order.agreement_catalog_version_id is not None) == (
        "2026-01",
        True,
    )
    html = client.get(reverse("web:order", args=[order.pk])).content.decode()
    dd = re.search(r'<dd data-accepted-agreement="2026-01">(.*?)</dd>', html).group(1)
    assert (
        f'<a href="/plans/agreement/partner/?version=2026-01&amp;catalog={order.agreement_catalog_version_id}">'
        "iSoftStone large-customer support plan service agreement</a>"
    ) in dd
    assert "version 2026-01, accepted " in dd
    statements = client.get(reverse("web:statements")).content.decode()
    assert 'data-agreement-version="2026-01">agreement version 2026-01</span>' in statements
    shown = client.get(dd.split('"')[1].replace("&amp;", "&"))
    assert shown.status_code == 200


def test_an_outdated_version_posted_is_refused_on_the_form(basic):
    response = client_for(basic.admin).post(
        reverse("web:plan_change"),
        {
            "provider": "partner",
            "plan": "dedicated",
            "confirm": "1",
            "method": "test",
            "accept": "1",
            "agreement_version": "2025-01",
        },
    )
    assert response.status_code == 400
    assert (
        "You accepted agreement version 2025-01, but the current version is 2026-01."
        in response.content.decode()
    )
    assert not Order.objects.filter(tenant=basic.tenant, agreement_version="2025-01").exists()


def test_self_service_items_are_links_per_provider(basic):
    client = client_for(basic.admin)
    partner = client.get(reverse("web:plans"), {"provider": "partner"}).content.decode()
    tencent = client.get(reverse("web:plans"), {"provider": "tencent"}).content.decode()
    assert _hrefs(partner, "data-self-service-link") == [
        "https://developer.huaweicloud.com/",
        "https://support.huaweicloud.com/",
        "https://bbs.huaweicloud.com/",
        "https://console.huaweicloud.com/message/",
        "https://beian.huaweicloud.com/",
        "https://edu.huaweicloud.com/",
    ]
    assert _hrefs(tencent, "data-self-service-link") == [
        "https://cloud.tencent.com/document/product",
        "https://cloud.tencent.com/developer/ask",
        "https://console.cloud.tencent.com/message/subscription",
    ]


SCOPE = {
    "en": (
        "Questions on using public-cloud technology, products and solutions.",
        "Code development.",
        "How soon will my problem be solved?",
    ),
    "zh-hans": (
        "公有云技术、产品、解决方案使用咨询。",
        "代码开发。",
        "我的问题多久可以获得解决？",
    ),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_scope_and_faq_where_a_plan_is_chosen_and_a_case_is_opened(basic, language):
    basic.member.language = language
    client = client_for(basic.member, language)
    covers, excludes, question = SCOPE[language]
    for page in (
        client.get(reverse("web:plans"), {"provider": "partner"}),
        client.get(reverse("web:case_new"), {"provider": "partner"}),
    ):
        html = page.content.decode()
        section = html.split('data-plan-scope="partner"')[1].split("</section>")[0]
        assert re.findall(r"<ul data-scope-covers><li>([^<]+)</li>", section) == [covers]
        assert re.findall(r"<ul data-scope-excludes><li>([^<]+)</li>", section) == [excludes]
        assert re.findall(r"<summary>([^<]+)</summary>", section)[1] == question
        assert len(re.findall(r"<details data-faq>", section)) == 3
        other = SCOPE["zh-hans" if language == "en" else "en"]
        assert not any(text in section for text in other)


def test_tencent_case_open_shows_its_links_and_no_partner_scope(catalogs):
    customer = make_customer("tencent", "s2", name="Dongfang")
    html = client_for(customer.member).get(reverse("web:case_new")).content.decode()
    section = html.split('data-plan-scope="tencent"')[1].split("</section>")[0]
    assert "data-scope-covers" not in section and "data-faq" not in section
    assert re.findall(r'<a href="([^"]+)" target="_blank"', section) == [
        "https://cloud.tencent.com/document/product",
        "https://cloud.tencent.com/developer/ask",
        "https://console.cloud.tencent.com/message/subscription",
    ]
