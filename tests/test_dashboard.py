"""The editors' dashboard: a coordinator's regional queue, and national editors' counts per region."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import WorkflowState

from adoptions.models import Adoption
from coordination.models import Proposal
from editorial.testing import make_member, put_in_review
from practices.models import PracticePage, Region, Theme

from .factories import make_practice

pytestmark = pytest.mark.django_db


def counts(html, region_key):
    """The numbers shown for one region: {"in_review": n, "stale": n, "proposals": n, "adoptions": n}."""
    start = html.index(f'data-region="{region_key}"')
    following = html.find("data-region=", start + 1)
    chunk = html[start:following if following != -1 else None]
    return {name: int(value) for name, value in re.findall(r'data-count="(\w+)"[^>]*>(\d+)<', chunk)}


def add_proposal(region_page, title, days_ago=0):
    proposal = Proposal.objects.create(
        title=title, summary="Lyhyesti.", problem="Tarve.", how_it_works="Näin.", region_page=region_page,
        organisation_name="Yhdistys", proposer_name="Maija", email="maija@yhdistys.example",
        consent_to_contact=True, language="fi",
    )
    proposal.themes.set([Theme.objects.get(code="language")])
    if days_ago:
        Proposal.objects.filter(pk=proposal.pk).update(created_at=timezone.now() - datetime.timedelta(days=days_ago))
    return proposal


@pytest.fixture
def queue(uusimaa, pirkanmaa):
    today = timezone.localdate()
    assert not WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS).exists()
    PracticePage.objects.update(last_reviewed=today)
    old = today - datetime.timedelta(days=500)
    make_practice(uusimaa, title="Vanha 1", last_reviewed=old)
    make_practice(uusimaa, title="Vanha 2", last_reviewed=None)
    make_practice(pirkanmaa, title="Vanha Pirkanmaa", last_reviewed=old)
    put_in_review(make_practice(uusimaa, title="Tarkistettavana", last_reviewed=today),
                  make_member("contributor", "01"), title="Tarkistettavana (muokattu)")
    put_in_review(make_practice(pirkanmaa, title="Tarkistettavana P", last_reviewed=today),
                  make_member("contributor", "06"))
    add_proposal(uusimaa, "Tuore ehdotus")
    add_proposal(uusimaa, "Vanha ehdotus", days_ago=45)
    add_proposal(pirkanmaa, "Pirkanmaan ehdotus", days_ago=3)


def test_coordinator_sees_their_regions_queue(client, queue):
    client.force_login(make_member("coordinator", "01"))
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "coordination-region-queue" in html
    assert counts(html, "01") == {"in_review": 1, "stale": 2, "proposals": 1, "adoptions": 0}
    assert 'data-region="06"' not in html and "coordination-national-overview" not in html
    assert "Tarkistettavana (muokattu)" in html and "Tuore ehdotus" in html
    assert "Vanha ehdotus" not in html and "Pirkanmaan ehdotus" not in html
    assert reverse("coordination_stale_practices") + "?region=01" in html


def test_national_editor_sees_counts_per_region(client, queue):
    client.force_login(make_member("national_editor"))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "coordination-national-overview" in html and "coordination-region-queue" not in html
    assert counts(html, "01") == {"in_review": 1, "stale": 2, "proposals": 1, "adoptions": 0}
    assert counts(html, "06") == {"in_review": 1, "stale": 1, "proposals": 1, "adoptions": 0}
    assert counts(html, "02") == {"in_review": 0, "stale": 0, "proposals": 0, "adoptions": 0}
    assert counts(html, "national") == {"in_review": 0, "stale": 0, "proposals": 0, "adoptions": 0}
    assert counts(html, "total") == {"in_review": 2, "stale": 3, "proposals": 2, "adoptions": 2}  # the demo's


def test_other_roles_get_no_panel(client, queue):
    client.force_login(make_member("contributor", "01"))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "coordination-region-queue" not in html and "coordination-national-overview" not in html


def render_panel(user):
    """KB's own dashboard panel alone (Wagtail's panels have their own query costs), and its query count."""
    from django.test import RequestFactory

    from coordination.admin_views import dashboard_panels

    request = RequestFactory().get(reverse("wagtailadmin_home"))
    request.user = type(user).objects.get(pk=user.pk)
    panels = []
    with CaptureQueriesContext(connection) as queries:
        dashboard_panels(request, panels)
        html = "".join(panel.render_html({"request": request}) for panel in panels)
    return html, len(queries.captured_queries)


@pytest.mark.parametrize("role,region", [("national_editor", None), ("coordinator", "01")])
def test_dashboard_panel_queries_do_not_grow_with_the_data(queue, uusimaa, pirkanmaa, role, region):
    user = make_member(role, region)
    _html, before = render_panel(user)
    today = timezone.localdate()
    for number in range(3):
        make_practice(uusimaa, title=f"Lisää vanhoja {number}", last_reviewed=None)
        make_practice(pirkanmaa, title=f"Lisää P {number}", last_reviewed=None)
        add_proposal(uusimaa, f"Lisää ehdotuksia {number}")
        Adoption.objects.create(practice=PracticePage.objects.live().first(), organisation_name=f"Ottaja {number}",
                                municipality="091", region=Region.objects.get(code="01"), since_year=2024,
                                language="fi")
        put_in_review(make_practice(uusimaa, title=f"Lisää tarkistettavia {number}", last_reviewed=today),
                      make_member("contributor", "01"))
    html, after = render_panel(user)
    assert counts(html, "01") == {"in_review": 4, "stale": 5, "proposals": 4, "adoptions": 3}
    assert after == before
    assert after <= 12
