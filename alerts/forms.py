"""The "email me new practices like these" form."""

from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from search.query import InvalidSearch, parse_request

from .models import Subscription

HONEYPOT_FIELD = "website"
MAX_SEARCH_LENGTH = 2000


def canonical_query(raw: str, language: str) -> str:
    """The search as stored: validated like the search API (unknown parameters refused) and written back
    in canonical order. Raises InvalidSearch."""
    params = QueryDict(raw, mutable=True)
    params.pop("page", None)  # an alert follows the whole search, not one page of it
    params.pop("page_size", None)
    return urlencode(parse_request(params, language, strict=True).params())


class SubscribeForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": _("Enter an email address such as name@example.fi.")},
    )
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Subscription.Frequency.choices, initial=Subscription.Frequency.WEEKLY,
        widget=forms.RadioSelect,
    )
    search = forms.CharField(required=False, max_length=MAX_SEARCH_LENGTH, widget=forms.HiddenInput,
                             strip=False)
    # A honeypot: hidden from people and screen readers; bots fill every field they find.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)

    def __init__(self, *args, language: str, **kwargs):
        kwargs.setdefault("auto_id", "alert-%s")  # unique on the search page, beside its other forms
        super().__init__(*args, **kwargs)
        self.language = language
        self.fields[HONEYPOT_FIELD].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def clean_search(self):
        try:
            return canonical_query(self.cleaned_data["search"], self.language)
        except InvalidSearch as error:
            raise forms.ValidationError(
                _("This search cannot be saved: %(problem)s Go back to the search and try again.")
                % {"problem": error.message}
            ) from error

    def honeypot_filled(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD, "").strip())
