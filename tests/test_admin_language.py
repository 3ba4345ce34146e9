"""The admin speaks Finnish and Swedish: a regional coordinator and a national editor walk the editors'
main screens in fi and in sv, and no English interface text is left on them.

Wagtail's own fi/sv catalogues are incomplete; the project's catalogues in locale/ (searched before
the apps' own, see LOCALE_PATHS) supply the missing strings and replace Wagtail's jargon. This test
is what keeps those overrides complete: remove one and the screen that shows it fails here.

English is found by a list of common English interface words. Content is excluded deliberately and
narrowly: text equal to a page title, a taxonomy term, an organisation or a user's name is removed
before the words are looked at, so the demo's English practice titles do not count as interface.
The browser walk (tests/browser/test_admin_language.py) uses the same detector on what Chromium
renders, JavaScript included.
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
import wagtail.admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.models import Page

from editorial.testing import make_member, practice_form, put_in_review, speaking
from practices.models import Organisation, PracticePage

pytestmark = pytest.mark.django_db

# Words of Wagtail's and the project's English interface that are not Finnish or Swedish words.
# Left out: words that are Finnish or Swedish too ("on", "all", "in", "man", "status", "filter", "block").
ENGLISH_UI_WORDS = frozenset("""
    about account action actions active add added and any apply approve approved are author
    available awaiting back been blank blocks bold breadcrumb by cancel change changed changes
    characters child children choose chooser clear click close collapse collection collections comment
    comments confirm content copy could count create created current dashboard date delete deleted
    description document documents done down draft due duplicate edit edited editing edits email
    enter error errors expand expired expiry explore explorer field fields file files filters find
    first for from group groups has have heading help here hidden hide history home image images
    insert invalid italic item items keyboard language languages last latest leave link links list
    live locale locales lock locked log login logout main menu more move moved name new next no not
    notifications of open or order owner page pages parent password permissions please previous
    preview private profile public publish published publishing recent reject rejected remove report
    reports request requested required results review revision revisions save saved saving
    scheduled search select settings show showing sign site sites skip slug snippet snippets sort
    submit submitted successfully task tasks the there this title to toggle type types unlock
    unpublish unpublished unsaved untitled up updated upload user users validation view want was
    welcome with workflow workflows you your
""".split())

WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
TIME_ZONE_NAME = re.compile(r"^[A-Z][A-Za-z_]+(/[A-Za-z_-]+)+$")  # the account's time zone choices: data
SKIPPED_ELEMENTS = {"script", "style", "noscript"}
TEXT_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "aria-description", "data-w-tooltip-content-value")


class _InterfaceText(HTMLParser):
    """The text a person meets: visible text, and the attributes read out or shown as tooltips."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks, self._skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        self.chunks.extend(value for name, value in attrs if name in TEXT_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.chunks.append(data.strip())


def interface_text(html: str) -> list[str]:
    parser = _InterfaceText()
    parser.feed(html)
    return parser.chunks


def content_strings() -> list[str]:
    """Text that is content, not interface: titles, taxonomy terms, organisations, people. Longest first."""
    from practices.models.taxonomy import Term

    strings = set(Page.objects.values_list("title", flat=True))
    for model in Term.__subclasses__():
        for values in model.objects.values_list("name_fi", "name_sv", "name_en", "code"):
            strings.update(values)
    strings.update(Organisation.objects.values_list("name", flat=True))
    for user in get_user_model().objects.all():
        strings.update((user.get_full_name(), user.get_username(), user.email))
    return sorted((s for s in strings if s), key=len, reverse=True)


def english_words(chunks, content) -> dict[str, list[str]]:
    """English interface words in ``chunks`` of text, each with up to three chunks it was found in."""
    found = {}
    for chunk in chunks:
        if TIME_ZONE_NAME.match(chunk) or not any(word.lower() in ENGLISH_UI_WORDS for word in WORD.findall(chunk)):
            continue
        text = chunk
        for value in content:
            if value in text:  # whole words only: the language code "es" is no part of "pages"
                text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
        for word in WORD.findall(text):
            if word.lower() in ENGLISH_UI_WORDS:
                examples = found.setdefault(word.lower(), [])
                if len(examples) < 3 and chunk not in examples:
                    examples.append(chunk[:120])
    return found


COORDINATOR, NATIONAL_EDITOR = "coordinator", "national_editor"
BOTH = {COORDINATOR, NATIONAL_EDITOR}


# The editors' main screens: (name, path, POST data or None, the roles that may open it).
# Add new admin screens here; each must answer 200 to the roles named.
def editor_screens(practice, task_state, organisation):
    region = practice.get_parent()
    add_practice = reverse("wagtailadmin_pages:add", args=("practices", "practicepage", region.pk))
    return [
        ("dashboard", "/admin/", None, BOTH),
        ("explorer root", "/admin/pages/", None, BOTH),
        ("region listing", f"/admin/pages/{region.pk}/", None, BOTH),
        ("region listing, search", f"/admin/pages/{region.pk}/?q=kieli", None, BOTH),
        ("region listing, filtered", f"/admin/pages/{region.pk}/?has_child_pages=false&locale=fi", None, BOTH),
        ("page search", "/admin/pages/search/?q=kieli", None, BOTH),
        ("practice list", "/admin/practices/", None, BOTH),
        ("practice editor", f"/admin/pages/{practice.pk}/edit/", None, BOTH),
        ("new practice", add_practice, None, {COORDINATOR}),
        ("new practice, validation errors", add_practice, practice_form(title="", slug=""), {COORDINATOR}),
        ("page history", f"/admin/pages/{practice.pk}/history/", None, {COORDINATOR}),
        ("workflow history", f"/admin/pages/{practice.pk}/workflow_history/", None, BOTH),
        ("approve dialog", reverse("wagtailadmin_pages:workflow_action",
                                   args=(practice.pk, "approve", task_state.pk)), None, {NATIONAL_EDITOR}),
        ("request changes dialog", reverse("wagtailadmin_pages:workflow_action",
                                           args=(practice.pk, "reject", task_state.pk)), None, {NATIONAL_EDITOR}),
        ("page chooser", f"/admin/choose-page/{region.pk}/", None, BOTH),
        ("image chooser", "/admin/images/chooser/", None, BOTH),
        ("document chooser", "/admin/documents/chooser/", None, BOTH),
        ("images", "/admin/images/", None, {COORDINATOR}),
        ("documents", "/admin/documents/", None, {COORDINATOR}),
        ("themes", "/admin/snippets/practices/theme/", None, {NATIONAL_EDITOR}),
        ("highlights", "/admin/snippets/highlights/highlight/", None, {NATIONAL_EDITOR}),
        ("organisations", "/admin/snippets/practices/organisation/", None, BOTH),
        ("organisation editor", f"/admin/snippets/practices/organisation/edit/{organisation.pk}/", None, BOTH),
        ("new organisation", "/admin/snippets/practices/organisation/add/", None, BOTH),
        ("proposals", "/admin/proposals/", None, BOTH),
        ("practices due for review", "/admin/stale-practices/", None, BOTH),
        ("locked pages", "/admin/reports/locked/", None, {COORDINATOR}),
        ("workflows report", "/admin/reports/workflow/", None, BOTH),
        ("workflow tasks report", "/admin/reports/workflow_tasks/", None, BOTH),
        ("site history", "/admin/reports/site-history/", None, BOTH),
        ("account", "/admin/account/", None, BOTH),
    ]


def page_html(response) -> str:
    """The HTML of a page, or of a dialog (Wagtail's modal views answer JSON with the HTML inside)."""
    if response["Content-Type"].startswith("application/json"):
        return response.json().get("html", "")
    return response.content.decode()


def walk(client, screens, role, content):
    """English words per screen of ``role``; a screen that does not answer 200 is reported as such."""
    problems = {}
    for name, path, post, roles in screens:
        if role not in roles:
            continue
        response = client.post(path, post) if post is not None else client.get(path)
        if response.status_code != 200:
            problems[name] = f"{path} answered {response.status_code}"
            continue
        words = english_words(interface_text(page_html(response)), content)
        if words:
            problems[name] = words
    return problems


@pytest.fixture
def in_review(uusimaa):
    """A Finnish practice in Uusimaa, submitted for review by the region's coordinator."""
    coordinator = make_member("coordinator", "01", username="koordinaattori")
    practice = PracticePage.objects.child_of(uusimaa).live().first()
    task_state = put_in_review(practice, coordinator)
    return coordinator, practice, task_state


@pytest.mark.parametrize("language", ["fi", "sv"])
@pytest.mark.parametrize("role", [COORDINATOR, NATIONAL_EDITOR])
def test_editors_main_screens_have_no_english(client, in_review, language, role):
    coordinator, practice, task_state = in_review
    user = coordinator if role == COORDINATOR else make_member(NATIONAL_EDITOR, username="valtakunnallinen")
    client.force_login(speaking(user, language))
    screens = editor_screens(practice, task_state, Organisation.objects.order_by("pk").first())
    assert walk(client, screens, role, content_strings()) == {}


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_login_and_password_reset_have_no_english(client, language):
    client.cookies["django_language"] = language
    screens = [("login", "/admin/login/", None, {None}), ("password reset", "/admin/password_reset/", None, {None})]
    assert walk(client, screens, None, content_strings()) == {}


def test_the_detector_finds_english_and_ignores_content(uusimaa):
    title = PracticePage.objects.child_of(uusimaa).first().title
    html = f'<h1>{title}</h1><input placeholder="Search all pages…"><p>Hae kaikista sivuista</p><script>x="Save"</script>'
    assert english_words(interface_text(html), content_strings()) == {
        "search": ["Search all pages…"], "pages": ["Search all pages…"],
    }
    assert english_words([f"Muokkaa: {title}", "Save draft"], [title]) == {"save": ["Save draft"], "draft": ["Save draft"]}
    assert english_words(["Search pages", "Europe/Isle_of_Man"], ["es", "ar"]) == {
        "search": ["Search pages"], "pages": ["Search pages"],  # content is removed as whole words only
    }



@pytest.mark.parametrize("language", ["fi", "sv"])
def test_the_admin_javascript_catalogue_is_complete(client, language):
    """Every string of Wagtail's admin JavaScript is translated: by Wagtail, or by the project's
    locale/<language>/LC_MESSAGES/djangojs.po, which Django's catalogue view merges over Wagtail's."""
    client.force_login(speaking(make_member(COORDINATOR, "01"), language))
    script = client.get(reverse("wagtailadmin_javascript_catalog")).content.decode()
    catalogue = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", script, re.S).group(1))
    source = Path(wagtail.admin.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "djangojs.po"
    assert [entry.msgid for entry in polib.pofile(str(source)) if entry.msgid not in catalogue] == []
