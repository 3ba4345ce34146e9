from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump --format=custom on PostgreSQL, SQLite's online backup API) "
        "and the media files (MEDIA_ROOT as media.tar.gz) into DIRECTORY (new or empty), with a "
        "manifest.json of checksums and migrations. The site may keep running meanwhile."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="Where to write the backup (created; must be new or empty).")

    def handle(self, *args, directory, **options):
        try:
            manifest = create_backup(directory)
        except BackupError as error:
            raise CommandError(str(error)) from None
        sizes = ", ".join(f"{name} {entry['size']:,} bytes" for name, entry in sorted(manifest["files"].items()))
        self.stdout.write(self.style.SUCCESS(f"Backup of the {manifest['database_vendor']} database and the media "
                                             f"written to {directory}: {sizes}."))
