from django.core.management.base import BaseCommand

from editorial.roles import setup_roles


class Command(BaseCommand):
    help = (
        "Create or correct the editorial groups (coordinators and contributors per region, national "
        "editors, translators), their permissions and the review workflow of every region, as "
        "defined in editorial/roles.py. Idempotent: running it again changes nothing."
    )

    def handle(self, *args, **options):
        changes = setup_roles()
        if not changes:
            self.stdout.write(self.style.SUCCESS("Editorial roles and workflows are up to date."))
            return
        summary = ", ".join(f"{count} {what}" for what, count in sorted(changes.items()))
        self.stdout.write(self.style.SUCCESS(f"Editorial roles and workflows updated: {summary}."))
