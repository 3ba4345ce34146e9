from wagtail import hooks
from wagtail.permissions import register_permission_policy

from . import admin_views
from .models import OutgoingEmail

register_permission_policy(OutgoingEmail, admin_views.OutgoingEmailViewSet.permission_policy)


@hooks.register("register_admin_viewset")
def register_outgoing_email():
    return admin_views.OutgoingEmailViewSet()
