"""Editorial models: the role and region of each managed group, and the review task of a region's
workflow (group approval with the four-eyes rule)."""

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import AbstractGroupApprovalTask

from .review import is_own_work

APPROVE = "approve"


class EditorialGroup(models.Model):
    """The role, and the region, of a group that ``setup_roles()`` manages (editorial/roles.py).

    Groups are found through this row, never by their name: the name is a label for people that
    follows the region's Finnish name, so renaming a region keeps its groups and their members.
    """

    class Role(models.TextChoices):
        COORDINATOR = "coordinator"
        CONTRIBUTOR = "contributor"
        NATIONAL_EDITOR = "national_editor"
        TRANSLATOR = "translator"

    group = models.OneToOneField("auth.Group", on_delete=models.CASCADE, related_name="editorial")
    role = models.CharField(max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "practices.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the national practices."),
    )

    class Meta:
        # One group per role and region; a NULL region (national) needs its own condition, as SQL
        # unique constraints treat NULLs as distinct.
        constraints = [
            models.UniqueConstraint(
                fields=["role", "region"], condition=models.Q(region__isnull=False), name="editorial_group_role_region"
            ),
            models.UniqueConstraint(
                fields=["role"], condition=models.Q(region__isnull=True), name="editorial_group_role_national"
            ),
        ]

    def __str__(self) -> str:
        return self.group.name


class RegionReviewTask(AbstractGroupApprovalTask):
    """Members of the task's groups review the region's pages; nobody approves their own work.

    The rule is applied where Wagtail offers actions (``get_actions``: the editor's menu, the
    dashboard, the workflow action views) and again where it performs them (``on_action``), on the
    task state's own page, so a hand-made POST cannot approve anything the menu would not offer.
    """

    region = models.ForeignKey(
        "practices.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the national practices."),
    )

    admin_form_fields = AbstractGroupApprovalTask.admin_form_fields + ["region"]

    class Meta:
        verbose_name = _("region review task")
        verbose_name_plural = _("region review tasks")

    @classmethod
    def get_description(cls):
        return _("Members of the chosen groups review the page; nobody may approve their own changes.")

    def get_actions(self, obj, user):
        actions = super().get_actions(obj, user)
        if actions and is_own_work(obj, user, obj.current_workflow_state):
            actions = [action for action in actions if action[0] != APPROVE]
        return actions

    def on_action(self, task_state, user, action_name, **kwargs):
        workflow_state = task_state.workflow_state
        obj = workflow_state.content_object
        allowed = {name for name, _label, _modal in super().get_actions(obj, user)}
        if action_name == APPROVE and is_own_work(obj, user, workflow_state):
            allowed.discard(APPROVE)
        if task_state.task_id != self.pk or action_name not in allowed:
            raise PermissionDenied
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        # The dashboard's "awaiting your review" list leaves out what the user submitted.
        return super().get_task_states_user_can_moderate(user, **kwargs).exclude(
            workflow_state__requested_by=user
        )
