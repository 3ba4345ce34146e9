from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from editorial.demo import setup_demo_accounts
from practices.demo.loader import load_demo

DEMO_ADMIN = ("admin", "kb-demo-admin")


class Command(BaseCommand):
    help = (
        "Set up the site as `manage.py bootstrap` does (locales, taxonomies, page tree in fi/sv/en, "
        "roles), then add the fictional demo content: organisations, practices and their translations, "
        "highlights, and with DEBUG on the demo accounts. Idempotent: running it again changes nothing. "
        "With --synthetic N, also generate N synthetic practices for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                            help="Also create N synthetic practices (for benchmarks).")
        parser.add_argument("--translated-share", type=float, default=0.3, metavar="SHARE",
                            help="Share of synthetic practices that also get sv and en versions (0-1).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed of the synthetic generator.")

    def handle(self, *args, synthetic, translated_share, seed, **options):
        if synthetic < 0 or not 0 <= translated_share <= 1:
            raise CommandError("--synthetic must be ≥ 0 and --translated-share between 0 and 1.")
        created = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo content ready ({created} new practices)."))
        if settings.DEBUG:
            self.ensure_demo_admin()
            self.ensure_demo_accounts()
        if synthetic:
            from practices.demo.synthetic import generate

            made = generate(synthetic, translated_share=translated_share, seed=seed, out=self.stderr)
            self.stdout.write(self.style.SUCCESS(f"Created {made} synthetic practice pages."))

    def ensure_demo_admin(self):
        """A local administrator for trying the admin; development (DEBUG) only, never in production."""
        users = get_user_model().objects
        if not users.filter(username=DEMO_ADMIN[0]).exists():
            users.create_superuser(DEMO_ADMIN[0], "admin@kb.invalid", DEMO_ADMIN[1])
        self.stdout.write(f"Admin (development only): user {DEMO_ADMIN[0]!r}, password {DEMO_ADMIN[1]!r}")

    def ensure_demo_accounts(self):
        """One account per editorial role (editorial/demo.py); development (DEBUG) only, never in production."""
        for account in setup_demo_accounts():
            self.stdout.write(f"{account.description} (development only): user {account.username!r}, "
                              f"password {account.password!r}")
