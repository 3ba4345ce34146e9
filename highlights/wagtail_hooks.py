"""Admin: national highlights as a snippet in the main menu; national editors (and superusers) only,
by model permissions (editorial/roles.py). Snippet views record create/edit/delete in Wagtail's log."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Highlight


class HighlightViewSet(SnippetViewSet):
    model = Highlight
    icon = "pick"
    menu_label = _("National highlights")
    add_to_admin_menu = True
    menu_order = 200
    list_display = [
        "__str__", "rationale_fi", "valid_from", "valid_until", "sort_order",
        BooleanColumn("is_current", label=_("Current")),
    ]
    ordering = ["sort_order", "pk"]
    copy_view_enabled = False

    def get_queryset(self, request):
        return Highlight.objects.select_related("practice")


register_snippet(HighlightViewSet)
