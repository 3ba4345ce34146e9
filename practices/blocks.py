"""StreamField blocks for the practice model ("how it works") and its links."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["bold", "italic", "ol", "ul", "link", "h3"]


class StepBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Step"), max_length=120)
    text = blocks.TextBlock(label=_("Description"))

    class Meta:
        icon = "list-ol"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt_text = blocks.CharBlock(
        label=_("Alternative text"),
        max_length=250,
        help_text=_("Describe what the image shows for people who cannot see it."),
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "practices/blocks/image.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote"))
    attribution = blocks.CharBlock(label=_("Who said it"), required=False, max_length=200)

    class Meta:
        icon = "openquote"
        template = "practices/blocks/quote.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(label=_("Link text"), required=False, max_length=200)

    class Meta:
        icon = "doc-full"
        template = "practices/blocks/document.html"


class LinkBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Link text"), max_length=200)
    url = blocks.URLBlock(label=_("Address"))

    class Meta:
        icon = "link"
        template = "practices/blocks/link.html"


class ModelStreamBlock(blocks.StreamBlock):
    """The sections of "how it works": every kind has a label and a help text, which the editor shows
    in the list of the "Add a section" button and on the section itself."""

    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"), features=RICH_TEXT_FEATURES,
        help_text=_("Text about how the practice works: who does what, where and how often."),
    )
    steps = blocks.ListBlock(
        StepBlock(), label=_("Steps"), template="practices/blocks/steps.html",
        help_text=_("The practice as numbered steps, in the order they happen."),
    )
    image = ImageBlock(label=_("Image"), help_text=_("A photo or a diagram, with a text alternative."))
    quote = QuoteBlock(label=_("Quote"), help_text=_("What a participant or a worker said about the practice."))
    document = DocumentBlock(label=_("Document"), help_text=_("A manual, form or other file others can reuse."))

    class Meta:
        help_text = _("Add at least one section.")


class LinkStreamBlock(blocks.StreamBlock):
    link = LinkBlock(label=_("Link"), help_text=_("A web page with more about the practice."))
    document = DocumentBlock(label=_("Attachment"), help_text=_("A file to download, such as a report."))
