"""Interest matching: free text (sv/fi/da) -> ranked fields, programmes, jobs and companies."""

from bot.matching.engine import FIT_STEP_KM, NEAR_KM, Matcher
from bot.matching.shared import get_matcher, match_interests, names_an_interest
from bot.matching.types import (
    CompanyMatch,
    FieldMatch,
    MatchResult,
    ProfessionMatch,
    ProgrammeMatch,
)

__all__ = ["FIT_STEP_KM", "NEAR_KM", "CompanyMatch", "FieldMatch", "MatchResult", "Matcher",
           "ProfessionMatch", "ProgrammeMatch", "get_matcher", "match_interests",
           "names_an_interest"]
