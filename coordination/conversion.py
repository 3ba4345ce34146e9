"""Turn a proposal into a draft practice under its region's Finnish page: never published here."""

import json

from django.db import transaction
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.text import slugify

from practices.models import Organisation, PracticeContact, PracticePage

from .models import Proposal


class AlreadyConverted(Exception):
    pass


def unique_slug(parent, title) -> str:
    base = (slugify(title) or "ehdotus")[:200].strip("-") or "ehdotus"
    taken = set(parent.get_children().filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def paragraphs(text) -> str:
    return linebreaks(text, autoescape=True)


@transaction.atomic
def convert_to_draft(proposal: Proposal, user) -> PracticePage:
    """A draft practice (not live) owned by ``user``, with the proposer as a non-public contact."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status == Proposal.Status.CONVERTED:
        raise AlreadyConverted
    region_page = proposal.region_page
    region = region_page.region
    page = PracticePage(
        title=proposal.title,
        slug=unique_slug(region_page, proposal.title),
        summary=proposal.summary,
        problem=paragraphs(proposal.problem),
        model=json.dumps([{"type": "paragraph", "value": paragraphs(proposal.how_it_works)}]),
        is_national=region is None,
        lead_organisation=Organisation.objects.filter(name__iexact=proposal.organisation_name).first(),
        owner=user,
        live=False,
        has_unpublished_changes=True,
    )
    page.themes = list(proposal.themes.all())
    page.target_groups = list(proposal.target_groups.all())
    page.regions = [region] if region is not None else []
    page.contacts = [PracticeContact(
        name=proposal.proposer_name,
        organisation=proposal.organisation_name,
        email=proposal.email,
        phone=proposal.phone,
        publish_consent=False,  # consent was to be contacted, not to be published
    )]
    region_page.add_child(instance=page)
    page.save_revision(user=user, log_action=False)  # creating the page logged "wagtail.create" (as the owner)

    proposal.status = Proposal.Status.CONVERTED
    proposal.converted_page = page
    proposal.converted_by = user
    proposal.converted_at = timezone.now()
    proposal.save(update_fields=["status", "converted_page", "converted_by", "converted_at"])
    return page
