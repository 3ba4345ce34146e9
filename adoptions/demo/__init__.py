"""Demo adoptions (adoptions.json), loaded by ``load_demo``. Idempotent: an adoption is created only
when its practice has none from the same organisation. Saved one by one, so the signals write the
search change log and the public content token as for a real review."""

import json
from pathlib import Path

from django.utils import timezone

from practices.models import PracticePage, Region
from search.places import municipalities

from ..models import Adoption

DATA = Path(__file__).resolve().parent / "adoptions.json"


def load_adoptions() -> int:
    rows = json.loads(DATA.read_text(encoding="utf-8"))["adoptions"]
    regions = {region.code: region for region in Region.objects.all()}
    created = 0
    for row in rows:
        practice = PracticePage.objects.filter(locale__language_code="fi", slug=row["practice"]).first()
        if practice is None or Adoption.objects.of_practice(practice).filter(
                organisation_name=row["organisation"]).exists():
            continue
        contact = row.get("contact", {})
        adoption = Adoption(
            practice=practice, organisation_name=row["organisation"], municipality=row["municipality"],
            region=regions[municipalities()[row["municipality"]].region],
            since_year=row["since_year"], since_month=row.get("since_month"), language=row["language"],
            contact_name=contact.get("name", ""), contact_email=contact.get("email", ""),
            publish_contact=contact.get("publish", False), status=row["status"],
        )
        for language, text in row["changes"].items():
            setattr(adoption, f"changes_{language}", text)
        if adoption.status != Adoption.Status.NEW:
            adoption.reviewed_at = timezone.now()
        adoption.save()
        created += 1
    return created
