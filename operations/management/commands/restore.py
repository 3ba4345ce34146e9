from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, restore_backup, verify_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: verify it (checksums, database vendor, "
        "migrations not newer than this code), replace the database and the media files, run "
        "migrate, rebuild the search indexes and clear the caches. Stop the site (web and index "
        "worker) first: writes made during a restore are lost."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="The backup directory (with manifest.json).")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="Do not ask for confirmation.")

    def handle(self, *args, directory, interactive, **options):
        try:
            manifest = verify_backup(directory)
            if interactive:
                answer = input(f"This REPLACES the database and the media files with the backup of "
                               f"{manifest['created_at']}. Type 'yes' to continue: ")
                if answer.strip() != "yes":
                    raise CommandError("Restore cancelled; nothing was changed.")
            restore_backup(directory, out=self.stderr)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Restored the backup of {manifest['created_at']} (code {manifest.get('kb_commit') or 'unknown'}); "
            "migrations applied and search indexes rebuilt. Start the site again."))
