"""Idempotent demo content on top of ``manage.py bootstrap``: organisations, practices with their
translations, highlights.

Everything a real site needs (locales, taxonomies, the page tree, roles) comes from
operations/bootstrap.py; this module adds only the fictional content. Every step looks up what
exists by a stable key (name, slug) and only creates what is missing, so running it twice changes
nothing.
"""

import datetime
import json
import uuid

from django.utils.text import slugify
from wagtail.models import Locale

from adoptions.demo import load_adoptions
from highlights.demo import load_highlights
from home.models import HomePage
from operations.bootstrap import bootstrap
from practices.models import (
    ActivityForm,
    FundingSource,
    Language,
    Organisation,
    OrganisationType,
    PracticeContact,
    PracticeIndexPage,
    PracticePage,
    Region,
    RegionPage,
    TargetGroup,
    Theme,
)
from practices.translation import translate_page

from . import practices_north_a, practices_north_b, practices_south

PRACTICE_TEXT_FIELDS = (
    "summary", "plain_summary", "problem", "goals", "core_components", "adaptable_parts",
    "resources", "results", "feedback", "transferability",
)


DEMO_MODULES = (practices_south, practices_north_a, practices_north_b)


def demo_practices():
    return [practice for module in DEMO_MODULES for practice in module.PRACTICES]


def demo_organisations():
    return [organisation for module in DEMO_MODULES for organisation in module.ORGANISATIONS]


def _publish(page):
    page.save_revision().publish()
    return page


def _child(parent, model, slug):
    return model.objects.child_of(parent).filter(slug=slug).first()


def load_organisations():
    types = {t.code: t for t in OrganisationType.objects.all()}
    regions = {r.code: r for r in Region.objects.all()}
    organisations = {}
    for row in demo_organisations():
        organisation, _created = Organisation.objects.get_or_create(
            name=row["name"],
            defaults={"type": types[row["type"]], "region": regions.get(row["region"]), "website": row["website"]},
        )
        organisations[row["key"]] = organisation
    return organisations


def _block(block_type, value):
    """Raw StreamField data with ids (lists in item format): wagtail-localize needs both to extract text."""
    if isinstance(value, list):
        value = [_block("item", item) for item in value]
    return {"type": block_type, "value": value, "id": str(uuid.uuid4())}


def _stream(blocks):
    return json.dumps([_block(block_type, value) for block_type, value in blocks])


def _text_fields(data):
    fields = {name: data.get(name, "") for name in PRACTICE_TEXT_FIELDS}
    fields["lessons_learned"] = data.get("lessons", "")
    fields["title"] = data["title"]
    fields["model"] = _stream(data["model"])
    return fields


def _date(value):
    return datetime.date.fromisoformat(value) if value else None


def _set_terms(page, data, organisations):
    page.regions = list(Region.objects.filter(code__in=data["regions"]))
    page.themes = list(Theme.objects.filter(code__in=data["themes"]))
    page.target_groups = list(TargetGroup.objects.filter(code__in=data["target_groups"]))
    page.languages = list(Language.objects.filter(code__in=data["languages"]))
    page.activity_forms = list(ActivityForm.objects.filter(code__in=data["activity_forms"]))
    page.funding_sources = list(FundingSource.objects.filter(code__in=data["funding"]))
    page.partner_organisations = [organisations[key] for key in data["partners"]]


def build_practice(data, organisations):
    page = PracticePage(
        slug=data["key"],
        is_national=data["national"],
        municipalities=data["municipalities"],
        lead_organisation=organisations[data["lead_organisation"]],
        start_date=_date(data["start_date"]),
        end_date=_date(data["end_date"]),
        is_permanent=data["permanent"],
        status=data["status"],
        budget_band=data["budget_band"],
        evaluation_type=data["evaluation_type"],
        evidence_level=data["evidence_level"],
        last_reviewed=_date(data["last_reviewed"]),
        links=_stream(("link", link) for link in data["links"]),
        **_text_fields(data),
    )
    _set_terms(page, data, organisations)
    page.contacts = [
        PracticeContact(
            name=contact["name"], role=contact["role"], organisation=contact["organisation"],
            email=contact["email"], phone=contact["phone"], publish_consent=contact["publish"],
        )
        for contact in data["contacts"]
    ]
    return page


def _region_page(index, owner_region):
    region_filter = {"region__isnull": True} if owner_region == "national" else {"region__code": owner_region}
    return RegionPage.objects.child_of(index).get(**region_filter)


def load_practices(index, organisations):
    created = 0
    for data in demo_practices():
        parent = _region_page(index, data["owner_region"])
        page = _child(parent, PracticePage, data["key"])
        if page is None:
            page = build_practice(data, organisations)
            # Demo pages appear published on their last review date, so "newest first" means something.
            page.first_published_at = datetime.datetime.combine(
                page.last_reviewed, datetime.time(9), tzinfo=datetime.UTC
            )
            _publish(parent.add_child(instance=page))
            created += 1
        for code, text in data.get("translations", {}).items():
            if not page.has_translation(Locale.objects.get(language_code=code)):
                # Link texts are not translated in the demo data: they keep the source wording.
                copy = PracticePage(slug=slugify(text["title"]), links=page.links, **_text_fields(text))
                translation = translate_page(page, code, copy)
                PracticePage.objects.filter(pk=translation.pk).update(first_published_at=page.first_published_at)
    return created


def load_demo():
    """Bootstrap the site, then load every missing piece of demo content; returns the number of new
    practices. Not one transaction, for the reason given in operations/bootstrap.py."""
    bootstrap()
    home = HomePage.objects.get(locale__language_code="fi", depth=2)
    index = PracticeIndexPage.objects.child_of(home).get()
    created = load_practices(index, load_organisations())
    load_highlights(home)  # the demo highlights (the page itself comes from bootstrap)
    load_adoptions()
    return created
