"""Fixed vocabularies stored on the practice page itself (language-neutral codes)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PILOT = "pilot", _("Pilot")
    ONGOING = "ongoing", _("Ongoing")
    PERMANENT = "permanent", _("Permanent service")
    ENDED = "ended", _("Ended")


class EvidenceLevel(models.TextChoices):
    DESCRIBED = "described", _("Described")
    EMERGING = "emerging", _("Emerging")
    PROMISING = "promising", _("Promising")
    ESTABLISHED = "established", _("Established")


EVIDENCE_DEFINITIONS = {
    EvidenceLevel.DESCRIBED: _(
        "The practice is documented, but its results have not yet been followed up systematically."
    ),
    EvidenceLevel.EMERGING: _(
        "Results have been followed up, for example with participant numbers and feedback, "
        "and they point in the intended direction."
    ),
    EvidenceLevel.PROMISING: _(
        "The practice has been evaluated (self-assessment or external) with positive results, "
        "and it has been run for more than one round or in more than one place."
    ),
    EvidenceLevel.ESTABLISHED: _(
        "An external evaluation or study shows the effects, and the practice has been adopted "
        "successfully by other actors or made a permanent service."
    ),
}


class EvaluationType(models.TextChoices):
    NONE = "none", _("Not evaluated")
    SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
    PARTICIPANT_FEEDBACK = "participant_feedback", _("Participant feedback survey")
    EXTERNAL = "external", _("External evaluation")
    RESEARCH = "research", _("Research study")


class BudgetBand(models.TextChoices):
    NONE = "none", _("No separate budget")
    UNDER_5K = "under_5k", _("Under €5,000 a year")
    FROM_5K_TO_20K = "5k_20k", _("€5,000–20,000 a year")
    FROM_20K_TO_100K = "20k_100k", _("€20,000–100,000 a year")
    OVER_100K = "over_100k", _("Over €100,000 a year")
