"""The editors' main admin screens in Chromium, in Finnish and in Swedish, with no English left.

What Chromium shows counts, JavaScript-rendered text included (the StreamField editor, the action
menu, dialogs): the text of the document and the attributes people meet (aria-label, title,
placeholder) after each screen has loaded and its menus are opened. The detector and the content it
ignores are those of tests/test_admin_language.py, the content read from the site's own database
(the demo accounts' names included).
"""

import json
import re

import pytest
from playwright.sync_api import expect

from editorial.demo import DEMO_ACCOUNTS
from tests.test_admin_language import english_words

pytestmark = pytest.mark.browser

# Text nodes and read-out attributes of the document as it is now (scripts and styles left out).
INTERFACE_TEXT = """() => {
    const chunks = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        // Not interface text: the vendored date picker's markup for a range mode Wagtail does not use
        // (its month and day names follow the language), and time-zone identifiers (IANA data).
        if (parent && !parent.closest('script, style, noscript, .xdsoft_datetimepicker, select[name$="time_zone"]')
            && node.textContent.trim()) {
            chunks.push(node.textContent.trim());
        }
    }
    for (const element of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
        for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
            const value = element.getAttribute(name);
            if (value && value.trim()) chunks.push(value.trim());
        }
    }
    chunks.push(document.title);
    return chunks;
}"""

CONTENT_STRINGS = (
    "import json; from tests.test_admin_language import content_strings; "
    "print('KB-CONTENT ' + json.dumps(content_strings()))"
)
ACCOUNTS = {account.role: account for account in DEMO_ACCOUNTS if account.region_code in (None, "01")}
LABELS = {
    "fi": {"username": "Käyttäjätunnus", "password": "Salasana", "sign in": "Kirjaudu sisään",
           "more actions": "Lisää toimintoja", "save": "Tallenna luonnos"},
    "sv": {"username": "Användarnamn", "password": "Lösenord", "sign in": "Logga in",
           "more actions": "Fler åtgärder", "save": "Spara utkast"},
}


@pytest.fixture(scope="session")
def content(site):
    """The content strings of the site's own database."""
    return site.shell(CONTENT_STRINGS, "KB-CONTENT ")


def editor_in(contexts, language):
    """A browser page whose admin speaks ``language`` (the demo accounts have no language of their own)."""
    context = contexts.new(locale={"fi": "fi-FI", "sv": "sv-SE"}[language])
    context.add_cookies([{"name": "django_language", "value": language, "url": contexts.site.base_url}])
    return context.new_page()


def log_in(page, language, role):
    labels, account = LABELS[language], ACCOUNTS[role]
    page.goto("/admin/login/")
    page.get_by_label(labels["username"]).fill(account.username)
    page.get_by_label(re.compile(labels["password"])).fill(account.password)  # the label ends with "*"
    page.get_by_role("button", name=labels["sign in"]).click()
    page.wait_for_url("**/admin/")


def english_on(page, content) -> dict:
    page.wait_for_load_state("networkidle")
    return english_words(page.evaluate(INTERFACE_TEXT), content)


def walk(page, language, role, site, content) -> dict:
    """English words per screen of the editor's main screens; the login page is the first screen."""
    labels, urls = LABELS[language], site.urls["fi"]
    region_id, practice_id = urls["region_id"], urls["practice_id"]
    found = {}
    page.goto("/admin/login/")
    found["login"] = english_on(page, content)
    log_in(page, language, role)
    screens = [
        ("dashboard", "/admin/"),
        ("region listing", f"/admin/pages/{region_id}/"),
        ("page search", "/admin/pages/search/?q=kieli"),
        ("practice list", "/admin/practices/"),
        ("organisations", "/admin/snippets/practices/organisation/"),
        ("proposals", "/admin/proposals/"),
        ("practices due for review", "/admin/stale-practices/"),
        ("account", "/admin/account/"),
    ]
    for name, path in screens:
        page.goto(path)
        found[name] = english_on(page, content)

    # The practice editor with its action menu open: the workflow's actions are in it.
    page.goto(f"/admin/pages/{practice_id}/edit/")
    more_actions = page.get_by_role("button", name=labels["more actions"])
    if more_actions.count():  # a national editor may publish but not edit a region's practice
        more_actions.click()
    found["practice editor"] = english_on(page, content)

    if role == "coordinator":
        # A new practice saved empty: the validation errors and the StreamField editor (JavaScript).
        page.goto(f"/admin/pages/add/practices/practicepage/{region_id}/")
        page.get_by_role("button", name=labels["save"]).click()
        expect(page.locator(".messages .error, [role=alert]").first).to_be_visible()
        found["new practice, validation errors"] = english_on(page, content)
    return {name: words for name, words in found.items() if words}


@pytest.mark.parametrize("language", ["fi", "sv"])
@pytest.mark.parametrize("role", ["coordinator", "national_editor"])
def test_editors_main_screens_have_no_english(contexts, site, content, language, role):
    page = editor_in(contexts, language)
    english = walk(page, language, role, site, content)
    assert english == {}, "English on the editors' screens:\n" + json.dumps(english, indent=1, ensure_ascii=False)
    assert re.match(r"^(fi|sv)", page.evaluate("document.documentElement.lang")).group(1) == language
