"""Admin form for practice pages: rules that span many-to-many fields live here,
because Wagtail applies many-to-many values only after the model's clean()."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm


class PracticePageForm(WagtailAdminPageForm):
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
