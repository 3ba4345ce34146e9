from django import forms
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from .services import LANGUAGES, coordinator_regions


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("XLSX or CSV (UTF-8, columns separated by “;” or “,”), at most 2 MB and 1,000 rows."),
    )
    language = forms.ChoiceField(
        label=_("Language of the texts"), choices=[],
        help_text=_("The drafts go under the region's page in this language."),
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, to_field_name="code", empty_label=None,
        help_text=_("The drafts are created in this region only."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [(code, get_language_info(code)["name_translated"]) for code in LANGUAGES]
        self.fields["region"].queryset = coordinator_regions(user)
        self.fields["region"].label_from_instance = lambda region: f"{region.code} {region.label}"

    def describe(self):
        """Link each field to its help text and error message, as the proposal form does."""
        for name, field in self.fields.items():
            ids = [f"id_{name}-help"]
            if name in self.errors:
                ids.append(f"id_{name}-error")
                field.widget.attrs["aria-invalid"] = "true"
            field.widget.attrs["aria-describedby"] = " ".join(ids)
        return self
