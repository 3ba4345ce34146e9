"""The admin's sign-in form, with every label translated."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm


class LoginForm(WagtailLoginForm):
    """Wagtail's form redeclares the password field without a label, so Django shows the field's
    name, "Password", in English whatever the language; give it the translated label back."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Password")
