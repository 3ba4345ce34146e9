"""The public proposal form."""

import re

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from practices.collation import sort_key
from practices.models import RegionPage, TargetGroup, Theme

from . import models as limits

NATIONAL_CHOICE = "national"
HONEYPOT_FIELD = "website"

phone_validator = RegexValidator(
    re.compile(r"^\+?[0-9 ()\-]{5,40}$"),
    _("Enter a phone number with digits only, for example +358 40 123 4567."),
)


class TermChoiceField(forms.ModelMultipleChoiceField):
    """Checkboxes of taxonomy terms, labelled in the active language, submitted by their code."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="code", **kwargs)

    def label_from_instance(self, obj):
        return obj.label


class PublicForm(forms.Form):
    """What the public forms share (proposals, adoptions): a honeypot, inputs linked to their help
    text and errors (aria-describedby, aria-invalid), and single-line fields with their whitespace
    collapsed."""

    # A honeypot: hidden from people and screen readers; bots fill every field they find.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)

    CHECKBOX_GROUPS = ()  # described on their fieldset, in the template
    SINGLE_LINE_FIELDS = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT_FIELD].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        self._describe_fields()

    def clean(self):
        cleaned_data = super().clean()
        for name in self.SINGLE_LINE_FIELDS:
            if cleaned_data.get(name):
                cleaned_data[name] = " ".join(cleaned_data[name].split())
        return cleaned_data

    def full_clean(self):
        super().full_clean()
        self._describe_fields()

    def _describe_fields(self):
        """Link each input to its help text and its errors (aria-describedby), and mark invalid ones."""
        errors = self.errors if self.is_bound and hasattr(self, "cleaned_data") else {}
        for name, field in self.fields.items():
            if name == HONEYPOT_FIELD or name in self.CHECKBOX_GROUPS:
                continue
            described_by = []
            if field.help_text:
                described_by.append(f"{name}-help")
            if name in errors:
                described_by.append(f"{name}-error")
                field.widget.attrs["aria-invalid"] = "true"
            if described_by:
                field.widget.attrs["aria-describedby"] = " ".join(described_by)

    def honeypot_filled(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())


class ProposalForm(PublicForm):
    title = forms.CharField(
        label=_("Name of the practice"), max_length=limits.TITLE_MAX_LENGTH,
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=limits.SUMMARY_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the practice is and for whom, in at most 300 characters."),
    )
    problem = forms.CharField(
        label=_("The problem or need it addresses"), max_length=limits.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    how_it_works = forms.CharField(
        label=_("How it works"), max_length=limits.TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Who does what, how often and where; what it takes."),
    )
    region = forms.ChoiceField(
        label=_("Region where it runs"),
        help_text=_("The coordinators of this region will review your proposal."),
        error_messages={"required": _("Choose the region where the practice runs, or national.")},
    )
    themes = TermChoiceField(
        Theme.objects.all(), label=_("Themes"),
        error_messages={"required": _("Choose at least one theme.")},
    )
    target_groups = TermChoiceField(TargetGroup.objects.all(), label=_("Target groups"), required=False)
    organisation_name = forms.CharField(
        label=_("Organisation that runs it"), max_length=limits.ORGANISATION_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    proposer_name = forms.CharField(
        label=_("Your name"), max_length=limits.NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your email"), max_length=limits.EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Your phone number (optional)"), max_length=limits.PHONE_MAX_LENGTH, required=False,
        validators=[phone_validator], widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    consent_to_contact = forms.BooleanField(
        label=_("The region's coordinators may contact me about this proposal."),
        error_messages={"required": _("We can only handle the proposal if we may contact you about it.")},
    )

    CHECKBOX_GROUPS = ("themes", "target_groups")
    SINGLE_LINE_FIELDS = ("title", "organisation_name", "proposer_name", "phone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.region_pages = {}
        choices = []
        for page in RegionPage.objects.filter(locale__language_code="fi").select_related("region"):
            key = page.region.code if page.region_id else NATIONAL_CHOICE
            self.region_pages[key] = page
            if page.region_id:
                choices.append((key, page.region.label))
        choices.sort(key=lambda choice: sort_key(choice[1]))
        if NATIONAL_CHOICE in self.region_pages:
            choices.append((NATIONAL_CHOICE, _("National: across Finland")))
        self.fields["region"].choices = [("", _("Choose a region")), *choices]
        self.fields["themes"].queryset = Theme.objects.order_by("sort_order", "code")
        self.fields["target_groups"].queryset = TargetGroup.objects.order_by("sort_order", "code")

    def clean_region(self):
        key = self.cleaned_data["region"]
        if key not in self.region_pages:
            raise forms.ValidationError(_("Choose the region where the practice runs, or national."))
        return key

    @property
    def region_page(self):
        return self.region_pages[self.cleaned_data["region"]]
