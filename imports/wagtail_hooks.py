from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import LogFormatter

from . import urls
from .services import may_import


@hooks.register("register_admin_urls")
def register_import_urls():
    return [path("import/", include(urls, namespace="imports"))]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return may_import(request.user)


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem(_("Import practices"), reverse("imports:upload"), name="import-practices",
                          icon_name="upload", order=260)


@hooks.register("register_log_actions")
def register_import_log_action(actions):
    @actions.register_action("kb.import")
    class ImportFormatter(LogFormatter):
        label = _("Import practices")

        def format_message(self, log_entry):
            data = {"file": "", "region": "", "created": 0, "updated": 0, "unchanged": 0, "skipped": 0,
                    **log_entry.data}
            return _("Imported “%(file)s” into region %(region)s: %(created)s created, %(updated)s updated, "
                     "%(unchanged)s unchanged, %(skipped)s skipped.") % data
