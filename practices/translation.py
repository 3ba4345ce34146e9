"""Programmatic translation through wagtail-localize's own PO round trip.

Used by the demo loader: the source page's segments are exported as a PO file, filled in from
an unsaved copy of the page that holds the translated text, imported, and saved as the target.
That is exactly what a translator's PO upload does, so demo translations behave like real ones.
"""

from wagtail.models import Locale, Page
from wagtail_localize.models import Translation, TranslationSource
from wagtail_localize.segments import StringSegmentValue
from wagtail_localize.segments.extract import extract_segments


class TranslationMismatch(ValueError):
    """The translated text does not have the same structure as its source."""


def _strings(instance):
    return [segment for segment in extract_segments(instance) if isinstance(segment, StringSegmentValue)]


def _field_of(path: str) -> str:
    return path.split(".", 1)[0]


def translate_page(source_page: Page, language_code: str, translated_copy: Page, *, publish=True, user=None) -> Page:
    """Create or update the translation of ``source_page`` in ``language_code``.

    ``translated_copy`` is an unsaved instance of the same model whose translatable fields hold
    the translated text, in the same structure as the source.
    """
    locale = Locale.objects.get(language_code=language_code)
    source, _created = TranslationSource.get_or_create_from_instance(source_page)
    translation, _created = Translation.objects.get_or_create(
        source=source, target_locale=locale, defaults={"enabled": True}
    )
    po = translation.export_po()
    entries = [entry for entry in po if not entry.obsolete]
    targets = _strings(translated_copy)
    if len(entries) != len(targets) or any(
        _field_of(entry.msgctxt) != _field_of(target.path) for entry, target in zip(entries, targets, strict=True)
    ):
        raise TranslationMismatch(
            f"{source_page.title!r} -> {language_code}: source has {len(entries)} strings "
            f"({[_field_of(e.msgctxt) for e in entries]}), translation has {len(targets)} "
            f"({[_field_of(t.path) for t in targets]})"
        )
    for entry, target in zip(entries, targets, strict=True):
        entry.msgstr = target.string.data
    translation.import_po(po, user=user)
    translation.save_target(user=user, publish=publish)
    return source_page.get_translation(locale)
