"""A translation round trip in the admin: submit for translation -> translate (PO upload) ->
submit for review -> the region's reviewer approves -> published. Never live before approval."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from wagtail.models import Locale
from wagtail_localize.models import Translation

from editorial.testing import make_member
from practices.models import PracticePage

from .factories import log_in_superuser, make_practice
from .search_helpers import run, titles

pytestmark = pytest.mark.django_db


def translated_po(translation):
    po = translation.export_po()
    for entry in po:
        entry.msgstr = {"Zorbaretki": "Zorbautflykt"}.get(entry.msgid, entry.msgid)
    return SimpleUploadedFile("sv.po", str(po).encode(), content_type="text/x-gettext-translation")


def test_translation_round_trip_through_review(client, uusimaa):
    source = make_practice(uusimaa, title="Zorbaretki")
    sv = Locale.objects.get(language_code="sv")

    # 1. An administrator submits the page for translation: a draft appears in the Swedish tree.
    log_in_superuser(client)
    assert client.post(f"/admin/localize/submit/page/{source.pk}/", {"locales": [sv.pk]}).status_code == 302
    target = source.get_translation(sv).specific
    assert not target.live
    translation = Translation.objects.get(source__object_id=source.translation_key, target_locale=sv)

    # 2. A translator uploads the translated PO file (wagtail-localize's own view).
    translator = make_member("translator")
    client.force_login(translator)
    upload = reverse("wagtail_localize:upload_pofile", args=[translation.pk])
    assert client.post(upload, {"file": translated_po(translation)}).status_code == 302
    # Publishing from the translation editor is refused to the translator.
    assert client.post(reverse("wagtailadmin_pages:edit", args=[target.pk]), {"action": "publish"}).status_code in (
        302, 403)
    target.refresh_from_db()
    assert not target.live

    # 3. The translator submits it for review: a draft revision holds the Swedish text, nothing is live.
    submit = reverse("editorial_submit_translation", args=[target.pk])
    assert client.get(submit).status_code == 200  # the confirmation page
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post(submit).status_code == 302
    target.refresh_from_db()
    assert target.workflow_in_progress and not target.live
    assert target.get_latest_revision_as_object().title == "Zorbautflykt"
    assert run("sv", q="zorbautflykt").total == 0

    # 4. The region's coordinator approves: the Swedish page is published and searchable.
    coordinator = make_member("coordinator", "01")
    client.force_login(coordinator)
    task_state = target.current_workflow_task_state
    action = reverse("wagtailadmin_pages:workflow_action", args=(target.pk, "approve", task_state.pk))
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(action, {"comment": ""})
    published = PracticePage.objects.get(pk=target.pk)
    assert published.live and published.title == "Zorbautflykt"
    assert set(published.themes.all()) == set(source.themes.all())
    assert titles(run("sv", q="zorbautflykt")) == {"Zorbautflykt"}


def test_only_editors_of_the_page_may_submit_its_translation(client, uusimaa):
    source = make_practice(uusimaa, title="Kiipeilykerho")
    log_in_superuser(client)
    sv = Locale.objects.get(language_code="sv")
    client.post(f"/admin/localize/submit/page/{source.pk}/", {"locales": [sv.pk]})
    target = source.get_translation(sv)
    client.force_login(make_member("contributor", "06"))  # another region's contributor
    response = client.post(reverse("editorial_submit_translation", args=[target.pk]))
    assert response.status_code in (302, 403)
    target.refresh_from_db()
    assert not target.workflow_in_progress
