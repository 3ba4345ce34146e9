"""What every KB site needs, and nothing fictional: locales, taxonomies, the page tree in fi/sv/en,
the Wagtail Site, editorial roles and workflows, the highlights page, the information pages (about
and contact, accessibility statement, privacy notice).

Policy: **create what is missing, never overwrite.** Each step looks up what exists by a stable key
(a term's code, a page's place in the tree and its region, a translation of a page) and creates only
what is missing, from the data files in operations/data/. An edited label, a renamed or re-slugged
page, a changed Site hostname stay as the editors left them; running bootstrap again changes
nothing. Two deliberate exceptions: a page that was deleted is created again (it is part of the
tree every site has), and ``setup_roles()`` makes groups, permissions and workflows match
editorial/roles.py (that is its documented, converging contract).

Not wrapped in one transaction, for the same reason as the demo loader: wagtail-localize publishes
translations on commit from the in-memory page, whose tree counters would be stale by then.
"""

import json
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.text import slugify
from wagtail.models import Locale, Page, Site

from editorial.roles import setup_roles
from highlights.demo import ensure_highlights_page
from highlights.models import HighlightsPage
from home.models import HomePage, InfoPage
from practices.models import PracticeIndexPage, Region, RegionPage
from practices.translation import translate_page

DATA = Path(__file__).resolve().parent / "data"
LANGUAGES = ("fi", "sv", "en")  # the source language first: the other trees are its translations
SOURCE_LANGUAGE, TRANSLATIONS = LANGUAGES[0], LANGUAGES[1:]


def read_data(name: str) -> dict:
    with open(DATA / name, encoding="utf-8") as file:
        return json.load(file)


def taxonomies():
    """(name, model, terms) per taxonomy in operations/data/taxonomy.json; terms are dicts code/fi/sv/en."""
    data = read_data("taxonomy.json")
    return [(key, apps.get_model(entry["model"]), entry["terms"]) for key, entry in data.items()
            if not key.startswith("_")]


def ensure_locales(made: Counter):
    for code in LANGUAGES:
        _locale, created = Locale.objects.get_or_create(language_code=code)
        made["locales"] += created


def ensure_taxonomies(made: Counter):
    for name, model, terms in taxonomies():
        for order, term in enumerate(terms):
            _term, created = model.objects.get_or_create(
                code=term["code"],
                defaults={"name_fi": term["fi"], "name_sv": term["sv"], "name_en": term["en"], "sort_order": order},
            )
            made[name.replace("_", " ")] += created


def _publish(page):
    page.save_revision().publish()
    return page


def _region_page(index, region):
    return RegionPage.objects.child_of(index).filter(region=region).first()


def ensure_tree(made: Counter):
    """Home -> practices index -> one page per region and one for national practices (Finnish tree)."""
    texts = read_data("pages.json")
    locale = Locale.objects.get(language_code=SOURCE_LANGUAGE)
    home = HomePage.objects.filter(locale=locale, depth=2).first()
    if home is None:
        text = texts["home"][SOURCE_LANGUAGE]
        home = Page.get_first_root_node().add_child(
            instance=HomePage(title=text["title"], slug=texts["home"]["slug_fi"], intro=text["intro"], locale=locale)
        )
        _publish(home)
        made["pages"] += 1
    index = PracticeIndexPage.objects.child_of(home).first()
    if index is None:
        text = texts["practice_index"][SOURCE_LANGUAGE]
        index = _publish(home.add_child(instance=PracticeIndexPage(
            title=text["title"], slug=texts["practice_index"]["slug_fi"], intro=text["intro"])))
        made["pages"] += 1
    for region in [None, *Region.objects.order_by("code")]:
        if _region_page(index, region) is None:
            title = texts["national"][SOURCE_LANGUAGE]["title"] if region is None else region.name_fi
            index = PracticeIndexPage.objects.get(pk=index.pk)  # fresh tree counters after the previous add_child
            _publish(index.add_child(instance=RegionPage(title=title, slug=_free_slug(index, title), region=region)))
            made["pages"] += 1
    return home, index


def _free_slug(parent, title):
    """The title's slug, or with a number when a sibling (e.g. an editor's page) already has it."""
    base = slug = slugify(title)
    number = 1
    while parent.get_children().filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def translate_tree(home, index, made: Counter):
    """The sv and en trees as wagtail-localize translations of the Finnish one, live."""
    texts = read_data("pages.json")
    for code in TRANSLATIONS:
        locale = Locale.objects.get(language_code=code)
        for page, key, model in ((home, "home", HomePage), (index, "practice_index", PracticeIndexPage)):
            if not page.has_translation(locale):
                text = texts[key][code]
                translate_page(page, code, model(title=text["title"], slug=slugify(text["title"]), intro=text["intro"]))
                made["page translations"] += 1
        for region_page in RegionPage.objects.child_of(index).select_related("region"):
            if not region_page.has_translation(locale):
                region = region_page.region
                title = texts["national"][code]["title"] if region is None else getattr(region, f"name_{code}")
                translate_page(region_page, code, RegionPage(title=title, slug=slugify(title)))
                made["page translations"] += 1


def _address(hostname=None, port=None):
    """hostname and port given, else those of BASE_URL (WAGTAILADMIN_BASE_URL)."""
    base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    default_port = base.port or (443 if base.scheme == "https" else 80)
    return hostname or base.hostname or "localhost", port or default_port


def ensure_site(home, made: Counter, hostname=None, port=None):
    """The default Site serves the home page. Wagtail's own placeholder ("Welcome to your new Wagtail
    site!") is replaced; a Site an operator pointed elsewhere is left alone (and reported). Hostname
    and port change on a later run only when given explicitly."""
    site_name = read_data("pages.json")["site_name"]
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        hostname, port = _address(hostname, port)
        Site.objects.create(hostname=hostname, port=port, root_page=home, is_default_site=True, site_name=site_name)
        made["sites"] += 1
        return None
    if site.root_page_id != home.pk:
        placeholder = site.root_page
        if placeholder.specific_class is not Page or placeholder.depth != 2:
            return f"The default site {site} serves {placeholder.title!r}, not the KB home page: left as it is."
        site.root_page, site.site_name = home, site_name
        site.hostname, site.port = _address(hostname, port)
        site.save()
        placeholder.delete()
        made["sites"] += 1
        return None
    if (hostname and hostname != site.hostname) or (port and port != site.port):
        site.hostname, site.port = hostname or site.hostname, port or site.port
        site.save(update_fields=["hostname", "port"])
        made["site addresses"] += 1
    return None


def ensure_highlights(home, made: Counter):
    """The national highlights page under the home page, in fi/sv/en (empty: highlights are chosen by editors)."""
    before = HighlightsPage.objects.count()
    ensure_highlights_page(home)
    made["highlights pages"] += HighlightsPage.objects.count() - before


def _info_page(text: dict) -> InfoPage:
    """An unsaved information page holding the texts of one language of pages.json."""
    return InfoPage(title=text["title"], slug=text["slug"], intro=text["intro"], body=text["body"],
                    contact=text["contact"])


def ensure_info_pages(home, made: Counter):
    """The pages every footer links to (about and contact, accessibility statement, privacy notice)
    under the Finnish home page, found by their purpose, and their sv and en translations, live."""
    for text in read_data("pages.json")["info_pages"]:
        page = InfoPage.objects.filter(locale_id=home.locale_id, purpose=text["purpose"]).first()
        if page is None:
            home = HomePage.objects.get(pk=home.pk)  # fresh tree counters after earlier add_child calls
            page = _info_page(text[SOURCE_LANGUAGE])
            page.purpose, page.slug = text["purpose"], _free_slug(home, page.slug)
            _publish(home.add_child(instance=page))
            made["pages"] += 1
        for code in TRANSLATIONS:
            if not page.has_translation(Locale.objects.get(language_code=code)):
                translate_page(page, code, _info_page(text[code]))
                made["page translations"] += 1


ROLE_LABELS = {"group names", "task names", "workflow names"}  # counters of setup_roles()


def ensure_superuser(email: str):
    """The first administrator, with an unusable password (set it with `manage.py changepassword`).
    Returns (user, created); an existing account with that email is left as it is."""
    users = get_user_model().objects
    user = users.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    return users.create_superuser(username=email, email=email, password=None), True


def bootstrap(hostname=None, port=None):
    """Create everything missing. Returns (what was created, per kind; warnings for the operator)."""
    made, warnings = Counter(), []
    ensure_locales(made)
    ensure_taxonomies(made)
    home, index = ensure_tree(made)
    translate_tree(home, index, made)
    warning = ensure_site(home, made, hostname, port)
    if warning:
        warnings.append(warning)
    ensure_highlights(home, made)
    ensure_info_pages(home, made)
    # Labels that follow a region's names (groups, review tasks and workflows: found by the region,
    # never by name) are not something that was missing: an editor renamed the region, and
    # setup_roles() relabelled them after it. Only what was created or restored is reported.
    made.update({f"editorial {what}": count for what, count in setup_roles().items() if what not in ROLE_LABELS})
    return +made, warnings
