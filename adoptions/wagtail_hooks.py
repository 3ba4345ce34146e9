from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from . import admin_views
from .models import Adoption

register_permission_policy(Adoption, admin_views.AdoptionPermissionPolicy(Adoption))


@hooks.register("register_admin_viewset")
def register_adoptions():
    return admin_views.AdoptionViewSet()


@hooks.register("register_log_actions")
def register_adoption_log_actions(actions):
    actions.register_action("kb.adoption.approve", _("Approve adoption"), _("Adoption approved"))
    actions.register_action("kb.adoption.reject", _("Reject adoption"), _("Adoption rejected"))
