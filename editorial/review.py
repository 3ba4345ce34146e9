"""The review rules, in one place: who wrote what is about to go live, and when a page must be reviewed.
What approval records is in editorial/approval.py.

Four-eyes rule: approving a page publishes its *latest* revision (see
``wagtail.workflows.publish_workflow_state``), which holds every change made since the page was
last published. So nobody who submitted the page, or who wrote any of those revisions, may approve
it; another reviewer must.
"""

from wagtail.models import Revision


def unpublished_authors(obj) -> set[int]:
    """Ids of the users who wrote a revision of ``obj`` since its live revision (all, if never live)."""
    revisions = Revision.objects.for_instance(obj)
    if obj.live_revision_id:
        revisions = revisions.filter(pk__gt=obj.live_revision_id)
    return set(revisions.exclude(user=None).values_list("user_id", flat=True))


def is_own_work(obj, user, workflow_state) -> bool:
    """True if ``user`` submitted ``obj`` for review or wrote part of what approval would publish."""
    if workflow_state is not None and workflow_state.requested_by_id == user.pk:
        return True
    return user.pk in unpublished_authors(obj)


def publishing_requires_review(page, user) -> bool:
    """Direct publishing is for administrators only wherever a workflow governs the page.

    A "Publish" button in the editor would save and publish the user's own revision at once —
    approving one's own work — so in a workflow's subtree everyone but superusers publishes by
    "Approve and publish" on someone else's submission.
    """
    return not user.is_superuser and page.get_workflow() is not None
