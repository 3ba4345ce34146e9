"""Helpers for the tests of the editorial rules (tests/test_editorial_*.py): members of each role,
the practice editor's form data, and a page put in review by its author."""

import itertools

from django.contrib.auth import get_user_model
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from practices.models import Region, Theme

from .roles import role_group

_numbers = itertools.count(1)


def make_member(role_key, region_code=None, username=None):
    """An active admin user in one role's group (of the region with ``region_code``, for per-region roles)."""
    region = Region.objects.get(code=region_code) if region_code else None
    username = username or f"{role_key}-{region_code or 'all'}-{next(_numbers)}"
    user = get_user_model().objects.create_user(username, f"{username}@kb.example", "pass-word-123")
    user.groups.add(role_group(role_key, region))
    return user


def practice_form(title="Kielikahvila kirjastossa", slug=None, regions=("01",), themes=("language",), **overrides):
    """The practice editor's POST data (no action button: "save draft")."""
    data = {
        "title": title,
        "slug": slug or f"kielikahvila-{next(_numbers)}",
        "summary": "Viikoittainen kielikahvila.",
        "plain_summary": "",
        "problem": rich_text("<p>Suomea on vaikea harjoitella arjessa.</p>"),
        "goals": rich_text(""),
        "model": streamfield([("paragraph", rich_text("<p>Vapaaehtoiset ohjaavat keskustelua.</p>"))]),
        "core_components": rich_text(""),
        "adaptable_parts": rich_text(""),
        "is_national": "",
        "municipalities": "",
        "start_date": "2023-01-10",
        "end_date": "",
        "is_permanent": "on",
        "status": "permanent",
        "resources": rich_text(""),
        "budget_band": "",
        "results": rich_text(""),
        "feedback": rich_text(""),
        "evaluation_type": "none",
        "evidence_level": "described",
        "lessons_learned": rich_text(""),
        "transferability": rich_text(""),
        "contacts": inline_formset([]),
        "links": streamfield([]),
        "last_reviewed": "",
        "comments": inline_formset([]),
    }
    data.update(overrides)
    form = nested_form_data(data)
    form["regions"] = [region.pk for region in Region.objects.filter(code__in=regions)]
    form["themes"] = [theme.pk for theme in Theme.objects.filter(code__in=themes)]
    return form


def put_in_review(page, author, title=None):
    """``author`` saves a revision of ``page`` (with a new title, if given) and submits it for review."""
    if title:
        page.title = title
    page.save_revision(user=author)
    workflow = page.get_workflow()
    workflow.start(page, author)
    page.refresh_from_db()
    return page.current_workflow_task_state


def speaking(user, language):
    """``user`` with the admin in ``language`` (their Wagtail profile's preference)."""
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user
