from collections import defaultdict

from django.core.mail import get_connection
from django.core.management.base import BaseCommand

from coordination.emails import reminder_message, user_languages
from coordination.scope import coordinators_of, region_pages_by_path, stale_practices, with_region_page_path
from practices.models import Region


class Command(BaseCommand):
    help = (
        "Email each region's coordinators the practices of their region last reviewed more than 12 months "
        "ago (or never): one email per coordinator and region, none when the list is empty. Run it from cron, "
        "for example on the first day of each month."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List the emails without sending them.")

    def handle(self, *args, dry_run=False, **options):
        region_pages = region_pages_by_path()
        by_region = defaultdict(list)
        practices = with_region_page_path(stale_practices()).order_by("last_reviewed", "title", "pk")
        for page in practices:
            region_page = region_pages.get(page.region_page_path)
            if region_page is not None:
                by_region[region_page.region_id].append(page)

        regions = {region.pk: region for region in Region.objects.filter(pk__in=[pk for pk in by_region if pk])}
        messages = []
        for region_id, pages in by_region.items():
            region = regions.get(region_id)
            coordinators = list(coordinators_of(region))
            languages = user_languages(coordinators)
            for user in coordinators:
                messages.append(reminder_message(user, languages[user.pk], region, pages))
            if not coordinators:
                label = region.name_fi if region else "National"
                self.stderr.write(f"{label}: {len(pages)} practice(s) due for review, but no coordinator with an email.")

        if dry_run:
            for message in messages:
                self.stdout.write(f"{message.to[0]}: {message.subject}")
            self.stdout.write(f"{len(messages)} email(s) would be sent.")
            return
        sent = get_connection().send_messages(messages) if messages else 0
        self.stdout.write(self.style.SUCCESS(f"{sent} reminder email(s) queued (the worker delivers them)."))
