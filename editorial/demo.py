"""Demo accounts, one per editorial role. Development only: load_demo creates them when DEBUG is on."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from practices.models import Region

from .roles import role_group


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    region_code: str | None
    description: str


DEMO_ACCOUNTS = (
    DemoAccount("coordinator-uusimaa", "kb-demo-coordinator", "coordinator", "01", "Coordinator of Uusimaa"),
    DemoAccount("coordinator-pirkanmaa", "kb-demo-coordinator", "coordinator", "06", "Coordinator of Pirkanmaa"),
    DemoAccount("contributor-uusimaa", "kb-demo-contributor", "contributor", "01", "Contributor in Uusimaa"),
    DemoAccount("translator", "kb-demo-translator", "translator", None, "Translator (sv, en)"),
    DemoAccount("national-editor", "kb-demo-national-editor", "national_editor", None, "National editor"),
)


def setup_demo_accounts() -> tuple[DemoAccount, ...]:
    """Create the demo accounts that are missing and put each in its role's group (only).

    An existing account keeps its password. Returns the accounts, for printing."""
    users = get_user_model().objects
    for account in DEMO_ACCOUNTS:
        region = Region.objects.get(code=account.region_code) if account.region_code else None
        user = users.filter(username=account.username).first()
        if user is None:
            first_name, _sep, last_name = account.description.partition(" ")
            user = users.create_user(
                account.username, f"{account.username}@kb.example", account.password,
                first_name=first_name, last_name=last_name,
            )
        user.groups.set([role_group(account.role, region)])
    return DEMO_ACCOUNTS
