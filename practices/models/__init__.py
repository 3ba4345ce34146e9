from .choices import EVIDENCE_DEFINITIONS, BudgetBand, EvaluationType, EvidenceLevel, Status
from .pages import PracticeContact, PracticeIndexPage, PracticePage, RegionPage
from .taxonomy import (
    ActivityForm,
    FundingSource,
    Language,
    Organisation,
    OrganisationType,
    Region,
    TargetGroup,
    Theme,
)

__all__ = [
    "EVIDENCE_DEFINITIONS", "BudgetBand", "EvaluationType", "EvidenceLevel", "Status",
    "PracticeContact", "PracticeIndexPage", "PracticePage", "RegionPage",
    "ActivityForm", "FundingSource", "Language", "Organisation", "OrganisationType", "Region",
    "TargetGroup", "Theme",
]
