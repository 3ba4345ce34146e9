"""Synthetic practices for benchmarks: N Finnish practices (a share also in sv and en), fast.

Pages are written straight into the tree (paths computed here, one INSERT pair per page, many-to-many
rows in bulk) and indexed in bulk at the end, instead of add_child + revision + publish per page:
10,000 practices take a few minutes instead of an hour. The text is assembled from phrase pools in
each language, so full-text search has realistic words to find.
"""

import random
import uuid

from django.db import models, transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.utils import timezone
from modelsearch.signal_handlers import post_save_signal_handler
from wagtail.models import Locale
from wagtail.search.backends import get_search_backends
from wagtail.signal_handlers import disable_reference_index_auto_update

from kb.progress import Progress
from practices.models import (
    Organisation,
    PracticePage,
    Region,
    RegionPage,
)
from practices.models.choices import BudgetBand, EvaluationType, EvidenceLevel, Status

POOLS = {
    "fi": {
        "activity": ["Kielikahvila", "Neuvontapiste", "Perhekerho", "Työelämämentorointi", "Naisten ryhmä",
                     "Liikuntakerho", "Museoilta", "Digitaitojen tuki", "Läksykerho", "Vertaisryhmä"],
        "for": ["nuorille", "perheille", "naisille", "työnhakijoille", "opiskelijoille", "ikääntyneille",
                "vastatulleille"],
        "place": ["kirjastossa", "asukastalossa", "koulussa", "museossa", "urheiluhallissa", "järjestön tiloissa"],
        "need": ["Moni vastatullut jää ilman tukea arjen asioissa.", "Suomen kielen harjoittelu jää vähäiseksi.",
                 "Työnhaku on vaikeaa ilman verkostoja.", "Lapsiperheet eivät löydä palveluja.",
                 "Nuorten harrastaminen jää vähäiseksi."],
        "model": ["Vapaaehtoiset ohjaavat keskustelua pienissä ryhmissä.",
                  "Ohjaaja neuvoo matalalla kynnyksellä ilman ajanvarausta.",
                  "Mentori ja aktori tapaavat kahden viikon välein puolen vuoden ajan.",
                  "Toiminta kokoontuu viikoittain ja on maksutonta."],
        "result": ["Osallistujia oli vuodessa {n}.", "Palautteen mukaan {p} % koki kielitaitonsa parantuneen.",
                   "{p} % osallistujista työllistyi tai aloitti opinnot."],
    },
    "sv": {
        "activity": ["Språkkafé", "Rådgivningspunkt", "Familjeklubb", "Mentorskap till arbetslivet", "Kvinnogrupp",
                     "Idrottsklubb", "Museikväll", "Stöd i digitala färdigheter", "Läxklubb", "Kamratgrupp"],
        "for": ["för unga", "för familjer", "för kvinnor", "för arbetssökande", "för studerande", "för äldre",
                "för nyanlända"],
        "place": ["på biblioteket", "i invånarhuset", "i skolan", "på museet", "i idrottshallen",
                  "i föreningens lokaler"],
        "need": ["Många nyanlända blir utan stöd i vardagen.", "Det finns få tillfällen att öva svenska.",
                 "Det är svårt att söka arbete utan nätverk.", "Barnfamiljer hittar inte tjänsterna.",
                 "Ungas fritidsaktiviteter blir få."],
        "model": ["Frivilliga leder samtalet i små grupper.", "Handledaren ger råd utan tidsbokning.",
                  "Mentorn och adepten träffas varannan vecka i ett halvår.",
                  "Verksamheten träffas varje vecka och är avgiftsfri."],
        "result": ["Under året deltog {n} personer.", "Enligt responsen upplevde {p} % att språket blev bättre.",
                   "{p} % av deltagarna fick arbete eller började studera."],
    },
    "en": {
        "activity": ["Language café", "Guidance point", "Family club", "Mentoring into work", "Women's group",
                     "Sports club", "Museum evening", "Digital skills support", "Homework club", "Peer group"],
        "for": ["for young people", "for families", "for women", "for jobseekers", "for students",
                "for older people", "for newcomers"],
        "place": ["at the library", "at the community centre", "at school", "at the museum", "at the sports hall",
                  "at the association's premises"],
        "need": ["Many newcomers are left without support in everyday matters.",
                 "There are few chances to practise the language.", "Looking for work is hard without networks.",
                 "Families with children do not find the services.", "Young people have few hobbies."],
        "model": ["Volunteers lead the conversation in small groups.", "An adviser helps without an appointment.",
                  "Mentor and mentee meet every two weeks for six months.",
                  "The group meets weekly and is free of charge."],
        "result": ["{n} people took part during the year.", "In feedback {p} % said their language skills improved.",
                   "{p} % of participants found work or started studying."],
    },
}
TRANSLATED_LANGUAGES = ("sv", "en")
M2M = ("regions", "themes", "target_groups", "languages", "activity_forms", "funding_sources")


def _texts(rng, language, choice):
    pool = POOLS[language]
    title = f"{pool['activity'][choice[0]]} {pool['for'][choice[1]]} {pool['place'][choice[2]]}"
    result = pool["result"][choice[5]].format(n=choice[6], p=choice[7])
    return {
        "title": title,
        "summary": f"{title}. {pool['model'][choice[4]]}",
        "problem": f"<p>{pool['need'][choice[3]]}</p>",
        "model": [("paragraph", f"<p>{pool['model'][choice[4]]}</p>")],
        "results": f"<p>{result}</p>",
    }


class _Tree:
    """Region pages per locale and the next free child position under each."""

    def __init__(self):
        self.parents = {}
        for page in RegionPage.objects.select_related("locale"):
            self.parents[(page.locale.language_code, page.region_id)] = page
        self.next_position = {page.pk: page.numchild for page in self.parents.values()}

    def place(self, page, language, region_id):
        parent = self.parents[(language, region_id)]
        self.next_position[parent.pk] += 1
        page.depth = parent.depth + 1
        page.path = PracticePage._get_path(parent.path, page.depth, self.next_position[parent.pk])
        page.url_path = f"{parent.url_path}{page.slug}/"

    def commit_child_counts(self):
        for parent in self.parents.values():
            added = self.next_position[parent.pk] - parent.numchild
            if added:
                RegionPage.objects.filter(pk=parent.pk).update(numchild=F("numchild") + added)


def generate(count, *, translated_share=0.3, seed=1, out=None):
    rng = random.Random(seed)
    terms = {name: list(getattr(PracticePage, name).field.related_model.objects.values_list("pk", flat=True))
             for name in M2M}
    regions = list(Region.objects.values_list("pk", flat=True))
    organisations = list(Organisation.objects.values_list("pk", flat=True))
    locales = {locale.language_code: locale for locale in Locale.objects.all()}
    tree = _Tree()
    progress = Progress(count, out)
    created_pks, through_rows = [], {name: [] for name in M2M}
    now = timezone.now()
    post_save.disconnect(post_save_signal_handler, sender=PracticePage)
    try:
        with transaction.atomic(), disable_reference_index_auto_update():
            for number in range(1, count + 1):
                choice = [rng.randrange(len(POOLS["fi"][k])) for k in ("activity", "for", "place", "need", "model",
                                                                        "result")]
                choice += [rng.randint(10, 900), rng.randint(20, 95)]
                values = {name: rng.sample(pks, k=min(len(pks), rng.randint(1, 3))) for name, pks in terms.items()}
                owner_region = rng.choice(regions)
                values["regions"] = sorted(set(values["regions"]) | {owner_region})
                facts = {
                    "status": rng.choice(Status.values), "evidence_level": rng.choice(EvidenceLevel.values),
                    "evaluation_type": rng.choice(EvaluationType.values), "budget_band": rng.choice(BudgetBand.values),
                    "lead_organisation_id": rng.choice(organisations) if organisations else None,
                    "is_national": rng.random() < 0.05, "translation_key": uuid.uuid4(),
                    "first_published_at": now - timezone.timedelta(days=rng.randint(0, 3650)),
                }
                languages = ["fi"] + (list(TRANSLATED_LANGUAGES) if rng.random() < translated_share else [])
                for language in languages:
                    texts = _texts(rng, language, choice)
                    page = PracticePage(
                        title=texts["title"], draft_title=texts["title"], slug=f"synthetic-{number}",
                        summary=texts["summary"][:300], problem=texts["problem"], model=texts["model"],
                        results=texts["results"], locale=locales[language], live=True,
                        has_unpublished_changes=False, last_published_at=facts["first_published_at"],
                        **facts,
                    )
                    tree.place(page, language, owner_region)
                    models.Model.save(page)  # plain INSERTs; path and url_path are set above
                    created_pks.append(page.pk)
                    for name in M2M:
                        through = getattr(PracticePage, name).through
                        through_rows[name] += [through(practicepage_id=page.pk, **{f"{through_field(through)}": pk})
                                               for pk in values[name]]
                if number % 100 == 0 or number == count:
                    progress.show(number)
            for name, rows in through_rows.items():
                getattr(PracticePage, name).through.objects.bulk_create(rows, batch_size=2000)
            tree.commit_child_counts()
    finally:
        post_save.connect(post_save_signal_handler, sender=PracticePage)
    index_pages(created_pks, out)
    from search.indexing import rebuild_index

    rebuild_index(progress=Progress(1, out).show_of)
    return len(created_pks)


def through_field(through):
    """The through table's column for the related term (e.g. ``theme_id``)."""
    return next(f.attname for f in through._meta.fields if f.is_relation and f.related_model is not PracticePage)


def index_pages(pks, out=None, chunk=1000):
    """Add the pages to every search backend in bulk."""
    progress = Progress(len(pks), out)
    for backend in get_search_backends(with_auto_update=True):
        for start in range(0, len(pks), chunk):
            batch = PracticePage.objects.filter(pk__in=pks[start:start + chunk])
            backend.add_bulk(PracticePage, list(batch))
            progress.show(min(start + chunk, len(pks)))
