"""Test data: practice pages with real taxonomy values, built through Wagtail's page API."""

import datetime
import itertools
import json

from django.test import TestCase

from practices.models import Organisation, OrganisationType, PracticeContact, PracticePage, Region, Theme

_counter = itertools.count(1)


def make_organisation(name=None, type_code="association"):
    organisation, _created = Organisation.objects.get_or_create(
        name=name or f"Testiyhdistys {next(_counter)}",
        defaults={"type": OrganisationType.objects.get(code=type_code)},
    )
    return organisation


def make_practice(parent, *, title=None, themes=("language",), regions=("01",), contacts=(), publish=True,
                  **fields):
    """A valid practice under ``parent`` (a region page); taxonomy values are given by code."""
    number = next(_counter)
    defaults = {
        "title": title or f"Testikäytäntö {number}",
        "slug": f"testikaytanto-{number}",
        "summary": "Lyhyt kuvaus testikäytännöstä.",
        "problem": "<p>Tarve, johon käytäntö vastaa.</p>",
        "model": json.dumps([{"type": "paragraph", "value": "<p>Näin malli toimii.</p>"}]),
        "start_date": datetime.date(2020, 1, 1),
        "is_permanent": True,
        "status": "permanent",
        "lead_organisation": make_organisation(),
    }
    defaults.update(fields)
    page = PracticePage(**defaults)
    page.themes = list(Theme.objects.filter(code__in=themes))
    page.regions = list(Region.objects.filter(code__in=regions))
    page.contacts = [PracticeContact(**contact) for contact in contacts]
    # Run on-commit work (search indexing) as a real request's commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        parent.add_child(instance=page)
        revision = page.save_revision()
        if publish:
            revision.publish()
    page.refresh_from_db()
    return page


def log_in_superuser(client, language="en", username=None):
    """Log ``client`` in as a superuser whose admin speaks ``language``."""
    from django.contrib.auth import get_user_model
    from wagtail.users.models import UserProfile

    user = get_user_model().objects.create_superuser(username or f"admin-{language}", "admin@kb.example",
                                                     "pass-word-123")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client.force_login(user)
    return client
