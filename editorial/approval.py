"""What approval does: the workflow's finish action (``WAGTAIL_FINISH_WORKFLOW_ACTION``).

wagtail.models imports this module while it loads (the setting is read in a class body), so nothing
of Wagtail or of the apps is imported at module level.
"""

from django.utils import timezone


def publish_reviewed(workflow_state, user=None):
    """Approval of an original practice is its review: ``last_reviewed`` becomes today in the revision
    that goes live, then Wagtail's own action publishes that revision. Recorded in the revision, not
    only on the live row, so the next draft keeps the date and wagtail-localize copies it into the
    translations (a synchronised field). A translation's approval reviews its wording, not the
    practice: its date comes from the original."""
    from wagtail.workflows import publish_workflow_state

    from practices.models import PracticePage

    revision = workflow_state.content_object.get_latest_revision()
    page = revision.as_object()
    if isinstance(page, PracticePage) and page.translated_from() is None:
        revision.content["last_reviewed"] = timezone.localdate().isoformat()
        revision.save(update_fields=["content"])
    publish_workflow_state(workflow_state, user=user)
