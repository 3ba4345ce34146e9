"""Admin form and editor widgets for practice pages: rules that span many-to-many fields live here,
because Wagtail applies many-to-many values only after the model's clean()."""

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import HelpPanel

# Short taxonomies: every value visible at once as a checkbox, labelled in the editor's language.
CHECKBOX_TAXONOMIES = ("regions", "themes", "target_groups", "languages", "activity_forms", "funding_sources")


class SearchableCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """Checkboxes under a search box that hides the values not matching what is typed: a
    multi-chooser for long lists such as the organisations. The script is static/practices/admin/
    editor.js, loaded in every editor by wagtail_hooks.py; without it, a plain checkbox list."""

    template_name = "practices/widgets/searchable_checkboxes.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["search_label"] = _("Search the list")
        context["widget"]["shown_template"] = _("Values matching the search: %(shown)s")
        return context


class PracticePageForm(WagtailAdminPageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in CHECKBOX_TAXONOMIES:
            if name in self.fields:
                field = self.fields[name]
                field.widget = forms.CheckboxSelectMultiple()
                # Label order in the active language; validation still uses the field's queryset.
                field.choices = [(term.pk, term.label) for term in field.queryset.in_label_order()]
        if "partner_organisations" in self.fields:
            field = self.fields["partner_organisations"]
            field.widget = SearchableCheckboxSelectMultiple()
            field.choices = [(organisation.pk, organisation.name) for organisation in field.queryset]

    def clean(self):
        cleaned_data = super().clean()
        if "regions" in self.fields and not cleaned_data.get("regions") and not cleaned_data.get("is_national"):
            self.add_error(
                "regions",
                forms.ValidationError(
                    _("Choose at least one region where the practice runs, or mark it as national."),
                    code="no_region",
                ),
            )
        if "themes" in self.fields and not cleaned_data.get("themes"):
            self.add_error("themes", forms.ValidationError(_("Choose at least one theme."), code="no_theme"))
        return cleaned_data


def consent_notice(page) -> str:
    """What the public page will lack because of missing publication consents ("" if nothing).

    Shown to the author when saving or submitting (a warning, not an error: a practice may go
    live without a named contact) and to everyone opening the editor, reviewers included."""
    contacts = list(page.contacts.all())
    hidden = [contact for contact in contacts if not contact.publish_consent]
    if len(hidden) == len(contacts):
        return _(
            "This practice has no public contact: the page will say “contact the lead organisation”. "
            "Add a contact who has agreed to publication, or mark the agreement if one has given it."
        )
    if hidden:
        return ngettext(
            "%(count)s contact has not agreed to publication and will not be shown on the public page.",
            "%(count)s contacts have not agreed to publication and will not be shown on the public page.",
            len(hidden),
        ) % {"count": len(hidden)}
    return ""


class ConsentNoticePanel(HelpPanel):
    """A warning at the top of the practice editor while ``consent_notice`` has something to say."""

    class BoundPanel(HelpPanel.BoundPanel):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            notice = consent_notice(self.instance)
            self.content = format_html('<p class="help-block help-warning" data-consent-notice>{}</p>',
                                       notice) if notice else ""

        def is_shown(self):
            return bool(self.content)
