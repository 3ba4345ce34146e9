from django.core.management.base import BaseCommand, CommandError

from operations.bootstrap import bootstrap, ensure_superuser


class Command(BaseCommand):
    help = (
        "Set up what a real KB site needs, without any demo content: the fi/sv/en locales, the "
        "taxonomies (operations/data/taxonomy.json), the page tree in fi/sv/en, the default Site, "
        "editorial roles and review workflows, the highlights page. Creates what is missing and never "
        "overwrites: running it again changes nothing, editors' changes stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hostname", help="Hostname of the Wagtail Site (default: that of BASE_URL).")
        parser.add_argument("--port", type=int, help="Port of the Wagtail Site (default: that of BASE_URL).")
        parser.add_argument("--superuser-email", metavar="EMAIL",
                            help="Also create the first administrator (username = EMAIL) with an unusable "
                                 "password; set one with `manage.py changepassword EMAIL`.")

    def handle(self, *args, hostname, port, superuser_email, **options):
        if port is not None and not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535.")
        made, warnings = bootstrap(hostname=hostname, port=port)
        for warning in warnings:
            self.stderr.write(self.style.WARNING(warning))
        if made:
            summary = ", ".join(f"{count} {what}" for what, count in sorted(made.items()))
            self.stdout.write(self.style.SUCCESS(f"Site set up: created {summary}."))
        else:
            self.stdout.write(self.style.SUCCESS("Site is set up: nothing was missing."))
        if superuser_email:
            user, created = ensure_superuser(superuser_email)
            if created:
                self.stdout.write(self.style.SUCCESS(
                    f"Administrator {user.username!r} created without a password. Set one with:\n"
                    f"  python manage.py changepassword {user.username}"))
            else:
                self.stdout.write(f"An account with the email {superuser_email} exists ({user.username!r}): unchanged.")
