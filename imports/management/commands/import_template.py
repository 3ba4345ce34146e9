"""Write the import template, or rebuild docs/import-sample.xlsx from docs/import-sample.csv (--sample)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from imports.spreadsheet import read_sample_csv, template_xlsx

SAMPLE_CSV = Path(settings.BASE_DIR) / "docs" / "import-sample.csv"


class Command(BaseCommand):
    help = "Write the practice import template (XLSX); --sample rebuilds docs/import-sample.xlsx from its CSV."

    def add_arguments(self, parser):
        parser.add_argument("--sample", action="store_true", help="Fill the template with docs/import-sample.csv.")
        parser.add_argument("--output", help="Where to write (default: docs/import-sample.xlsx or ./import-template.xlsx).")

    def handle(self, *args, sample=False, output=None, **options):
        with translation.override("fi"):
            rows = read_sample_csv(SAMPLE_CSV) if sample else []
            content = template_xlsx(rows)
        target = Path(output or (SAMPLE_CSV.with_suffix(".xlsx") if sample else "import-template.xlsx"))
        target.write_bytes(content)
        self.stdout.write(f"Wrote {target} ({len(rows)} rows)")
