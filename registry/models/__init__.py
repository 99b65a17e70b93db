"""SQLAlchemy 2.0 models, one module per aggregate. Importing this package registers them all."""

from registry.models.amendments import RecordAmendment
from registry.models.analytics import (
    AnalyticsCell,
    AnalyticsChange,
    AnalyticsGeneration,
    AnalyticsTable,
)
from registry.models.audit import AuditEvent
from registry.models.base import Base
from registry.models.centres import TreatmentCentre
from registry.models.clients import Client
from registry.models.episodes import TreatmentEpisode
from registry.models.geography import OrgUnit, Population
from registry.models.lab import LabTest
from registry.models.ost import DoseChange, DosingEvent, OstEnrolment
from registry.models.studies import (
    DuplicateCandidate,
    EstimationJob,
    EstimationResult,
    SourceList,
    SourceListCode,
    Study,
    UploadStaging,
)
from registry.models.tokens import ApiToken
from registry.models.users import SignInFailure, User

__all__ = [
    "AnalyticsCell",
    "AnalyticsChange",
    "AnalyticsGeneration",
    "AnalyticsTable",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Client",
    "DoseChange",
    "DosingEvent",
    "DuplicateCandidate",
    "EstimationJob",
    "EstimationResult",
    "LabTest",
    "OrgUnit",
    "OstEnrolment",
    "Population",
    "RecordAmendment",
    "SignInFailure",
    "SourceList",
    "SourceListCode",
    "UploadStaging",
    "Study",
    "TreatmentCentre",
    "TreatmentEpisode",
    "User",
]
