"""`manage.py bootstrap` on a fresh database: everything a real site needs, nothing fictional,
idempotent, editors' changes kept, load_demo on top; and adding a regional coordinator through the
admin, step by step as docs/operations.md tells it.

The bootstrap tests run the real commands in subprocesses against their own SQLite files (copies of
the session's template databases, tests/databases.py): the session's database already holds the
demo content.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from editorial.models import EditorialGroup
from editorial.roles import ROLES, role_group
from operations.bootstrap import read_data, taxonomies
from practices.models import PracticePage, Region, RegionPage

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 600  # seconds per command: generous on a busy 2-core machine

# Run inside the database under test (`manage.py shell -c`): prints one JSON line describing it.
PROBE = """
import json
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from wagtail.models import Locale, Page, Revision, Site, WorkflowPage
from editorial.models import EditorialGroup
from practices.models import Organisation, PracticePage, Region, RegionPage

pages = {}
for page in Page.objects.exclude(depth=1).select_related("locale", "content_type"):
    pages.setdefault(page.locale.language_code, []).append([page.content_type.model, page.live])
taxonomy = {}
for key, model, _terms in __import__("operations.bootstrap", fromlist=["x"]).taxonomies():
    taxonomy[key] = {term.code: [term.name_fi, term.name_sv, term.name_en] for term in model.objects.all()}
region_pages = {code: sorted([page.locale.language_code, page.region.code if page.region else "national", page.title]
                             for page in RegionPage.objects.select_related("region", "locale")
                             if page.locale.language_code == code) for code in ("fi", "sv", "en")}
site = Site.objects.get(is_default_site=True)
users = get_user_model().objects
# Wagtail's own "Moderators approval" on the root page stays; the region pages have their reviews.
region_workflows = WorkflowPage.objects.filter(workflow__active=True, page__in=RegionPage.objects.all())
client = Client()  # requests first: whatever serving may create lazily is then in every count below
status = {path: client.get(path).status_code for path in ("/", "/fi/", "/sv/", "/en/")}
home_fi = client.get("/fi/").content.decode()
print(json.dumps({
    "rows": {model._meta.label: model.objects.count() for model in apps.get_models()},
    "revisions": Revision.objects.count(),
    "locales": sorted(Locale.objects.values_list("language_code", flat=True)),
    "pages": pages,
    "region_pages": region_pages,
    "region_page_groups": RegionPage.objects.values("translation_key").distinct().count(),
    "taxonomy": taxonomy,
    "site": [site.hostname, site.port, site.root_page.specific_class.__name__, site.root_page.locale.language_code],
    "editorial_groups": sorted([g.role, g.region.code if g.region else ""] for g in EditorialGroup.objects.all()),
    "workflows": region_workflows.values("workflow").distinct().count(),
    "workflow_pages": region_workflows.count(),
    "practices": PracticePage.objects.count(),
    "organisations": Organisation.objects.count(),
    "accounts": sorted([u.username, u.is_superuser, u.has_usable_password()] for u in users.all()),
    "status": status,
    "home_fi": home_fi,
}))
"""


def run_manage(database: Path, *args, check=True):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "kb.settings.test",
                   "DATABASE_URL": f"sqlite:///{database}", "MEDIA_ROOT": str(database.parent / "media")}
    environment.pop("ELASTICSEARCH_URL", None)
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=TIMEOUT)
    if check:
        assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def probe(database: Path) -> dict:
    return json.loads(run_manage(database, "shell", "-c", PROBE).stdout.strip().splitlines()[-1])


def without_html(state: dict) -> dict:
    """The probe without the page's HTML (it holds per-request nonces)."""
    return {key: value for key, value in state.items() if key != "home_fi"}


@pytest.fixture(scope="module")
def bootstrapped(database_templates, tmp_path_factory) -> tuple[Path, str, dict]:
    """A fresh database after one `manage.py bootstrap` (the session's template: migrate, then bootstrap
    with the test settings, as run_manage runs it), its output and its probe; tests work on copies."""
    database = tmp_path_factory.mktemp("bootstrapped") / "db.sqlite3"
    database_templates.sqlite("bootstrapped", database, media_root=database.parent / "media")
    output = database_templates.output("sqlite", "bootstrapped")
    return database, output, probe(database)


@pytest.fixture
def copy_of_bootstrapped(bootstrapped, tmp_path) -> Path:
    database = tmp_path / "db.sqlite3"
    shutil.copy(bootstrapped[0], database)
    return database


def test_bootstrap_creates_every_locale_taxonomy_page_group_and_workflow(bootstrapped):
    _database, output, state = bootstrapped
    assert "Site set up: created" in output
    assert state["locales"] == ["en", "fi", "sv"]
    # Every taxonomy exactly as in operations/data/taxonomy.json, codes and labels.
    for key, _model, terms in taxonomies():
        assert state["taxonomy"][key] == {term["code"]: [term["fi"], term["sv"], term["en"]] for term in terms}, key
    assert len(state["taxonomy"]["regions"]) == 19 and "21" in state["taxonomy"]["regions"]
    # The page tree in every language, live: home, practices index, 19 regions + national, highlights,
    # the information pages (about, accessibility statement, privacy notice).
    region_codes = sorted([*state["taxonomy"]["regions"], "national"])
    texts = read_data("pages.json")
    for language in ("fi", "sv", "en"):
        kinds = sorted(kind for kind, _live in state["pages"][language])
        assert kinds == sorted(["homepage", "practiceindexpage", "highlightspage"] + ["regionpage"] * 20
                               + ["infopage"] * 3), language
        assert all(live for _kind, live in state["pages"][language])
        regions = state["region_pages"][language]
        assert sorted(code for _language, code, _title in regions) == region_codes
        national = next(title for _language, code, title in regions if code == "national")
        assert national == texts["national"][language]["title"]
    uusimaa_sv = next(title for _l, code, title in state["region_pages"]["sv"] if code == "01")
    assert uusimaa_sv == "Nyland"
    assert state["region_page_groups"] == 20  # sv and en pages are translations of the Finnish ones
    assert texts["home"]["fi"]["title"] in state["home_fi"]
    # The Site serves the Finnish home page, at BASE_URL's address (test settings: http://testserver).
    assert state["site"] == ["testserver", 80, "HomePage", "fi"]
    # Roles and review workflows of editorial/roles.py, for every region and the national page.
    expected_groups = sorted([role.key, code] for role in ROLES
                             for code in (["", *state["taxonomy"]["regions"]] if role.per_region else [""]))
    assert state["editorial_groups"] == expected_groups
    assert state["workflows"] == 20 and state["workflow_pages"] == 60  # one per region, on its page in fi, sv, en


def test_bootstrap_creates_nothing_fictional(bootstrapped):
    state = bootstrapped[2]
    assert state["practices"] == 0
    assert state["organisations"] == 0
    assert state["accounts"] == []
    assert state["rows"]["highlights.Highlight"] == 0


def test_the_bootstrapped_site_serves_its_home_pages(bootstrapped):
    assert bootstrapped[2]["status"] == {"/": 302, "/fi/": 200, "/sv/": 200, "/en/": 200}


def test_running_bootstrap_again_changes_nothing(bootstrapped, copy_of_bootstrapped):
    before = bootstrapped[2]
    output = run_manage(copy_of_bootstrapped, "bootstrap").stdout
    assert "nothing was missing" in output
    after = probe(copy_of_bootstrapped)
    assert after["rows"] == before["rows"]  # row counts of every model
    assert after["revisions"] == before["revisions"]  # no page was saved again
    assert without_html(after) == without_html(before)


EDIT_AS_EDITORS = """
from practices.models import Region, RegionPage
from wagtail.models import Site
region = Region.objects.get(code="01")
region.name_sv = "Nyland (redigerad)"
region.save()
page = RegionPage.objects.get(locale__language_code="fi", region=region)
page.title = "Uusimaa ja pääkaupunkiseutu"
page.slug = "uusimaa-ja-paakaupunkiseutu"
page.save_revision().publish()
Site.objects.filter(is_default_site=True).update(hostname="kb.example.fi", port=443)
"""


def test_bootstrap_keeps_what_editors_changed(copy_of_bootstrapped):
    run_manage(copy_of_bootstrapped, "shell", "-c", EDIT_AS_EDITORS)
    edited = probe(copy_of_bootstrapped)
    assert "nothing was missing" in run_manage(copy_of_bootstrapped, "bootstrap").stdout
    after = probe(copy_of_bootstrapped)
    assert after["taxonomy"]["regions"]["01"][1] == "Nyland (redigerad)"
    assert ["fi", "01", "Uusimaa ja pääkaupunkiseutu"] in after["region_pages"]["fi"]
    assert after["site"][:2] == ["kb.example.fi", 443]
    assert after["rows"] == edited["rows"] and after["revisions"] == edited["revisions"]


def test_bootstrap_recreates_a_missing_region_page_and_its_translations(copy_of_bootstrapped):
    run_manage(copy_of_bootstrapped, "shell", "-c",
               "from practices.models import RegionPage\n"
               "for page in RegionPage.objects.filter(region__code='19'): page.delete()\n"
               "RegionPage.objects.get(locale__language_code='sv', region__code='18').delete()")
    output = run_manage(copy_of_bootstrapped, "bootstrap").stdout
    assert "1 pages" in output and "3 page translations" in output
    after = probe(copy_of_bootstrapped)
    for language in ("fi", "sv", "en"):
        assert len(after["region_pages"][language]) == 20


def test_bootstrap_can_create_the_first_administrator_without_a_password(copy_of_bootstrapped):
    output = run_manage(copy_of_bootstrapped, "bootstrap", "--superuser-email", "yllapito@kb.example").stdout
    assert "changepassword yllapito@kb.example" in output
    assert probe(copy_of_bootstrapped)["accounts"] == [["yllapito@kb.example", True, False]]
    again = run_manage(copy_of_bootstrapped, "bootstrap", "--superuser-email", "yllapito@kb.example").stdout
    assert "unchanged" in again
    assert probe(copy_of_bootstrapped)["accounts"] == [["yllapito@kb.example", True, False]]


def test_site_address_comes_from_the_options(copy_of_bootstrapped):
    run_manage(copy_of_bootstrapped, "bootstrap", "--hostname", "kb.example.fi", "--port", "443")
    assert probe(copy_of_bootstrapped)["site"][:2] == ["kb.example.fi", 443]
    refused = run_manage(copy_of_bootstrapped, "bootstrap", "--port", "0", check=False)
    assert refused.returncode == 1 and "--port must be between 1 and 65535" in refused.stderr


def test_load_demo_builds_on_bootstrap(bootstrapped, copy_of_bootstrapped):
    run_manage(copy_of_bootstrapped, "load_demo")
    after = probe(copy_of_bootstrapped)
    before = bootstrapped[2]
    assert after["practices"] >= 40 and after["organisations"] > 0
    assert after["rows"]["highlights.Highlight"] > 0
    # The same site underneath: no second tree, no second set of groups or workflows.
    assert after["region_pages"] == before["region_pages"]
    assert after["editorial_groups"] == before["editorial_groups"]
    assert after["workflows"] == before["workflows"]
    assert after["site"] == before["site"]


# --- Adding a regional coordinator through the admin (docs/operations.md) -----------------------


@pytest.mark.django_db
def test_adding_a_regional_coordinator_step_by_step(client):
    administrator = get_user_model().objects.create_superuser("paakayttaja", "paakayttaja@kb.example", "salasana-123")
    uusimaa = Region.objects.get(code="01")
    group = role_group("coordinator", uusimaa)
    assert group.name == "Coordinators: Uusimaa"

    # 1. The administrator creates the account in Settings → Users → Add a user, ticking the group.
    client.force_login(administrator)
    response = client.post(reverse("wagtailusers_users:add"), {
        "username": "maija.meikalainen", "email": "maija.meikalainen@uusimaa.example",
        "first_name": "Maija", "last_name": "Meikäläinen",
        "password1": "Vahva-salasana-2026", "password2": "Vahva-salasana-2026",
        "groups": [group.pk],
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    coordinator = get_user_model().objects.get(username="maija.meikalainen")
    assert list(coordinator.groups.all()) == [group]
    assert EditorialGroup.objects.get(group=group).region == uusimaa
    client.logout()

    # 2. The coordinator signs in with that password and sees the admin.
    assert client.post(reverse("wagtailadmin_login"), {"username": "maija.meikalainen",
                                                       "password": "Vahva-salasana-2026"}).status_code == 302
    assert client.get(reverse("wagtailadmin_home")).status_code == 200

    # 3. They can create a practice under their own region page and submit it for review...
    from editorial.testing import practice_form

    own = RegionPage.objects.get(locale__language_code="fi", region=uusimaa)
    add_own = reverse("wagtailadmin_pages:add", args=("practices", "practicepage", own.pk))
    assert client.get(add_own).status_code == 200
    response = client.post(add_own, practice_form(slug="uusi-kaytanto", **{"action-submit": "Submit"}))
    assert response.status_code == 302
    page = PracticePage.objects.get(slug="uusi-kaytanto")
    assert page.get_parent().pk == own.pk and not page.live
    assert page.current_workflow_task_state is not None  # in review: another reviewer approves (four eyes)

    # ...but not under another region's page.
    other = RegionPage.objects.get(locale__language_code="fi", region__code="06")
    response = client.get(reverse("wagtailadmin_pages:add", args=("practices", "practicepage", other.pk)))
    assert response.status_code == 403 or response["Location"] == reverse("wagtailadmin_home")
    assert not Group.objects.filter(user=coordinator).exclude(pk=group.pk).exists()
