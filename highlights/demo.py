"""Demo national highlights and the highlights page in fi/sv/en. Idempotent: each step looks up what
exists (page by slug or translation, highlight by practice) and creates only what is missing."""

from django.utils.text import slugify
from wagtail.models import Locale, Page

from practices.models import PracticePage
from practices.translation import translate_page

from .models import Highlight, HighlightsPage

PAGE = {
    "fi": ("Valtakunnalliset nostot", "<p>Ministeriön valitsemia käytäntöjä, joista voi ottaa mallia koko maassa.</p>"),
    "sv": ("Nationella lyft", "<p>Praxis som ministeriet har valt ut som förebilder för hela landet.</p>"),
    "en": ("National highlights", "<p>Practices chosen by the ministry as models for the whole country.</p>"),
}
PAGE_SLUG_FI = "nostot"

# (practice slug in the Finnish tree, rationale fi, sv, en); shown in this order, with no period.
HIGHLIGHTS = (
    ("selkeasti-ja-yhdenvertaisesti-verkkokoulutus",
     "Maksuton verkkokoulutus, joka tuo selkeän kielen ja yhdenvertaisen palvelun jokaiseen kuntaan.",
     "En avgiftsfri webbutbildning som för klart språk och likvärdig service till varje kommun.",
     "A free online course that brings plain language and equal service to every municipality."),
    ("helsinki-itakeskuksen-neuvontapiste",
     "Matalan kynnyksen neuvonta monella kielellä: malli, jonka moni kunta on jo ottanut käyttöön.",
     "Lågtröskelrådgivning på många språk: en modell som många kommuner redan har tagit i bruk.",
     "Low-threshold guidance in many languages: a model many municipalities have already adopted."),
    ("kieliystava-vapaaehtoistoiminta",
     "Vapaaehtoiset kieliystävät tarjoavat arkista kieliharjoittelua kaikkialla Suomessa.",
     "Frivilliga språkvänner erbjuder vardaglig språkträning i hela Finland.",
     "Volunteer language friends offer everyday language practice all over Finland."),
    ("oulu-tyoelamamentorointi",
     "Mentorointi avaa korkeasti koulutetuille maahan muuttaneille tien oman alan töihin.",
     "Mentorskap öppnar vägen till arbete inom den egna branschen för högutbildade invandrare.",
     "Mentoring opens the way to work in their own field for highly educated immigrants."),
)


def ensure_highlights_page(home):
    """The highlights page under the Finnish home page, and its sv and en translations."""
    home = Page.objects.get(pk=home.pk)  # fresh tree counters
    page = HighlightsPage.objects.child_of(home).first()
    if page is None:
        title, intro = PAGE["fi"]
        page = HighlightsPage(title=title, slug=PAGE_SLUG_FI, intro=intro)
        home.add_child(instance=page)
        page.save_revision().publish()
    for code in ("sv", "en"):
        if not page.has_translation(Locale.objects.get(language_code=code)):
            title, intro = PAGE[code]
            translate_page(page, code, HighlightsPage(title=title, slug=slugify(title), intro=intro))
    return page


def load_highlights(home):
    """The highlights page and the demo highlights; returns the number of highlights created."""
    ensure_highlights_page(home)
    created = 0
    for order, (slug, rationale_fi, rationale_sv, rationale_en) in enumerate(HIGHLIGHTS):
        practice = PracticePage.objects.filter(locale__language_code="fi", slug=slug).first()
        if practice is None or Highlight.objects.for_practice(practice).exists():
            continue
        Highlight.objects.create(practice=practice, rationale_fi=rationale_fi, rationale_sv=rationale_sv,
                                 rationale_en=rationale_en, sort_order=(order + 1) * 10)
        created += 1
    return created
