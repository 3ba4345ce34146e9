"""Idempotent demo content: taxonomy, the page tree in fi/sv/en, organisations and practices.

Every step looks up what exists by a stable key (code, slug) and only creates what is missing,
so running the loader twice changes nothing.
"""

import datetime
import json
import uuid

from django.utils.text import slugify
from wagtail.models import Locale, Page, Site

from editorial.roles import setup_roles
from highlights.demo import load_highlights
from home.models import HomePage
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

from . import practices_north_a, practices_north_b, practices_south, taxonomy

LANGUAGES = ("fi", "sv", "en")

TAXONOMIES = (
    (Region, taxonomy.REGIONS),
    (Theme, taxonomy.THEMES),
    (TargetGroup, taxonomy.TARGET_GROUPS),
    (OrganisationType, taxonomy.ORGANISATION_TYPES),
    (Language, taxonomy.LANGUAGES),
    (FundingSource, taxonomy.FUNDING_SOURCES),
    (ActivityForm, taxonomy.ACTIVITY_FORMS),
)

HOME = {
    "fi": ("KB – kotoutumisen hyvät käytännöt", "<p>KB kokoaa yhteen hyviksi havaitut tavat tukea maahan muuttaneiden kotoutumista Suomessa: neuvontapisteet, kielikahvilat, perhekerhot, mentoroinnin työelämään sekä liikunnan ja kulttuurin nuorille. Etsi malli, joka sopii omalle paikkakunnallesi, ja ota yhteyttä sen tekijöihin.</p>"),
    "sv": ("KB – goda praxis för integration", "<p>KB samlar beprövade sätt att stödja integrationen av invandrare i Finland: rådgivningspunkter, språkkaféer, familjeklubbar, mentorskap till arbetslivet samt idrott och kultur för unga. Hitta en modell som passar din ort och kontakta dem som har utvecklat den.</p>"),
    "en": ("KB – good practices for integration", "<p>KB brings together proven ways of supporting the integration of immigrants in Finland: guidance points, language cafés, family clubs, mentoring into work, and sport and culture for young people. Find a model that suits your locality and contact the people who run it.</p>"),
}
INDEX = {
    "fi": ("Käytännöt", "<p>Käytännöt alueittain. Jokaisen alueen kumppanuusohjelman koordinaattorit julkaisevat ja ylläpitävät oman alueensa käytäntöjä.</p>"),
    "sv": ("Praxis", "<p>Praxis per region. Partnerskapsprogrammets koordinatorer i varje region publicerar och uppdaterar praxis i sin region.</p>"),
    "en": ("Practices", "<p>Practices by region. The partnership programme's coordinators in each region publish and maintain the practices of their region.</p>"),
}
NATIONAL = {"fi": "Valtakunnalliset käytännöt", "sv": "Riksomfattande praxis", "en": "National practices"}

PRACTICE_TEXT_FIELDS = (
    "summary", "plain_summary", "problem", "goals", "core_components", "adaptable_parts",
    "resources", "results", "feedback", "transferability",
)


DEMO_MODULES = (practices_south, practices_north_a, practices_north_b)


def demo_practices():
    return [practice for module in DEMO_MODULES for practice in module.PRACTICES]


def demo_organisations():
    return [organisation for module in DEMO_MODULES for organisation in module.ORGANISATIONS]


def ensure_locales():
    for code in LANGUAGES:
        Locale.objects.get_or_create(language_code=code)


def load_taxonomy():
    for model, rows in TAXONOMIES:
        for order, (code, name_fi, name_sv, name_en) in enumerate(rows):
            model.objects.get_or_create(
                code=code, defaults={"name_fi": name_fi, "name_sv": name_sv, "name_en": name_en, "sort_order": order}
            )


def _publish(page):
    page.save_revision().publish()
    return page


def _child(parent, model, slug):
    return model.objects.child_of(parent).filter(slug=slug).first()


def ensure_tree():
    """Home -> practices index -> one page per region and one for national practices (Finnish tree)."""
    root = Page.get_first_root_node()
    fi = Locale.objects.get(language_code="fi")
    home = HomePage.objects.filter(locale=fi, depth=2).first()
    if home is None:
        title, intro = HOME["fi"]
        home = root.add_child(instance=HomePage(title=title, slug="etusivu", intro=intro, locale=fi))
        _publish(home)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="KB")
    elif site.root_page_id != home.pk:
        old_root = site.root_page
        site.root_page = home
        site.site_name = "KB"
        site.save()
        if old_root.specific_class is Page and old_root.depth == 2:
            old_root.delete()  # Wagtail's "Welcome" placeholder
    index = _child(home, PracticeIndexPage, "kaytannot")
    if index is None:
        title, intro = INDEX["fi"]
        index = _publish(home.add_child(instance=PracticeIndexPage(title=title, slug="kaytannot", intro=intro)))
    for region in [None, *Region.objects.order_by("code")]:
        title = NATIONAL["fi"] if region is None else region.name_fi
        if _child(index, RegionPage, slugify(title)) is None:
            _publish(index.add_child(instance=RegionPage(title=title, slug=slugify(title), region=region)))
    return home, index


def translate_tree(home, index):
    for code in ("sv", "en"):
        locale = Locale.objects.get(language_code=code)
        if not home.has_translation(locale):
            title, intro = HOME[code]
            translate_page(home, code, HomePage(title=title, slug=slugify(title), intro=intro))
        if not index.has_translation(locale):
            title, intro = INDEX[code]
            translate_page(index, code, PracticeIndexPage(title=title, slug=slugify(title), intro=intro))
        for region_page in RegionPage.objects.child_of(index).select_related("region"):
            if not region_page.has_translation(locale):
                title = NATIONAL[code] if region_page.region is None else getattr(region_page.region, f"name_{code}")
                translate_page(region_page, code, RegionPage(title=title, slug=slugify(title)))


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
    """Load everything missing. Not wrapped in one transaction on purpose: wagtail-localize publishes
    translations on commit from the in-memory page, whose tree counters (numchild) would be stale by
    then if children were added in the same transaction — the translated trees would lose their children."""
    ensure_locales()
    load_taxonomy()
    home, index = ensure_tree()
    translate_tree(home, index)
    organisations = load_organisations()
    created = load_practices(index, organisations)
    setup_roles()  # editorial groups, permissions and review workflows on the region pages (editorial/)
    load_highlights(home)  # the national highlights page in fi/sv/en and the demo highlights (highlights/)
    return created
