"""The public "we use this too" form, and the coordinators' edit form in the admin."""

from django import forms
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from coordination.forms import PublicForm, phone_validator
from practices.models import Region
from search.places import municipalities, municipality_labels

from . import models as limits
from .models import Adoption, _language

FIRST_YEAR = 1990


def today():
    return timezone.localdate()


class AdoptionForm(PublicForm):
    organisation_name = forms.CharField(
        label=_("Adopting organisation"), max_length=limits.ORGANISATION_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    municipality = forms.ChoiceField(
        label=_("Municipality"),
        help_text=_("Where you use the practice. The coordinators of its region will review your report."),
        error_messages={"required": _("Choose the municipality where you use the practice.")},
    )
    since_year = forms.IntegerField(
        label=_("In use since: year"),
        error_messages={"required": _("Enter the year you started, for example 2023."),
                        "invalid": _("Enter the year as a number, for example 2023.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    since_month = forms.TypedChoiceField(label=_("In use since: month (optional)"), required=False,
                                         coerce=int, empty_value=None)
    changes = forms.CharField(
        label=_("What you changed (optional)"), max_length=limits.CHANGES_MAX_LENGTH, required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("How you adapted the model to your place and people, in at most 2000 characters."),
    )
    contact_name = forms.CharField(
        label=_("Contact name (optional)"), max_length=limits.NAME_MAX_LENGTH, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_email = forms.EmailField(
        label=_("Contact email (optional)"), max_length=limits.EMAIL_MAX_LENGTH, required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_phone = forms.CharField(
        label=_("Contact phone number (optional)"), max_length=limits.PHONE_MAX_LENGTH, required=False,
        validators=[phone_validator], widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    publish_contact = forms.BooleanField(
        label=_("Show this contact on the practice page"), required=False,
        help_text=_("Otherwise only the coordinators see the contact."),
    )

    SINGLE_LINE_FIELDS = ("organisation_name", "contact_name", "contact_phone")

    def __init__(self, *args, practice, **kwargs):
        self.practice = practice
        super().__init__(*args, **kwargs)
        self.language = _language()
        self.fields["municipality"].choices = [
            ("", _("Choose a municipality")), *municipality_labels(self.language).items(),
        ]
        self.fields["since_month"].choices = [("", _("Month not given")), *MONTHS.items()]
        self.fields["since_year"].widget.attrs.update({"min": FIRST_YEAR, "max": today().year})

    def clean_since_year(self):
        year = self.cleaned_data["since_year"]
        if year < FIRST_YEAR:
            raise forms.ValidationError(_("Enter a year from %(first)s on.") % {"first": FIRST_YEAR})
        if year > today().year:
            raise forms.ValidationError(_("The year cannot be in the future."))
        return year

    def clean_municipality(self):
        municipality = municipalities().get(self.cleaned_data["municipality"])
        self.region = municipality and Region.objects.filter(code=municipality.region).first()
        if self.region is None:
            raise forms.ValidationError(_("Choose the municipality where you use the practice."))
        return municipality.code

    def clean(self):
        cleaned_data = super().clean()
        now = today()
        month = cleaned_data.get("since_month")
        if cleaned_data.get("since_year") == now.year and month and month > now.month:
            self.add_error("since_month", _("The month cannot be in the future."))
        contact = any(cleaned_data.get(name) for name in ("contact_name", "contact_email", "contact_phone"))
        if cleaned_data.get("publish_contact") and not contact:
            self.add_error("publish_contact", _("Give a contact to show, or leave this unticked."))
        name = cleaned_data.get("organisation_name")
        if name and self._already_reported(name):
            self.add_error("organisation_name", _(
                "%(organisation)s has already reported using this practice. The coordinators will handle "
                "that report; to change it, contact them."
            ) % {"organisation": name})
        return cleaned_data

    def _already_reported(self, name) -> bool:
        """A report of the same organisation for the same practice, waiting or approved (a rejected one
        may be reported again). Compared case-insensitively in Python: SQLite folds ASCII only."""
        reported = Adoption.objects.of_practice(self.practice).exclude(status=Adoption.Status.REJECTED)
        return any(other.casefold() == name.casefold() for other in reported.values_list("organisation_name", flat=True))

    def save(self) -> Adoption:
        data = self.cleaned_data
        return Adoption.objects.create(
            practice=self.practice,
            organisation_name=data["organisation_name"],
            municipality=data["municipality"],
            region=self.region,
            since_year=data["since_year"],
            since_month=data["since_month"],
            language=self.language,
            contact_name=data["contact_name"],
            contact_email=data["contact_email"],
            contact_phone=data["contact_phone"],
            publish_contact=data["publish_contact"],
            **{f"changes_{self.language}": data["changes"].strip()},
        )


class AdoptionAdminForm(WagtailAdminModelForm):
    """What a coordinator changes: the status, translations of the text, and withdrawing publication of
    the contact (only the reporter can agree to it)."""

    class Meta:
        model = Adoption
        fields = ["status", "changes_fi", "changes_sv", "changes_en", "publish_contact"]

    def clean_publish_contact(self):
        publish = self.cleaned_data["publish_contact"]
        if publish and not self.instance.publish_contact:
            raise forms.ValidationError(_("Only the person who reported the adoption can agree to publishing the contact."))
        return publish
