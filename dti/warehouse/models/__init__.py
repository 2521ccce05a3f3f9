"""Everything the pipeline keeps, as SQLAlchemy 2 tables, one module per area. Alembic migrations
mirror these modules.

Conventions: codes are strings; points and values are Numeric (Decimal in Python); timestamps are
timezone-aware and stored in UTC; `period` is `YEAR-R<round>` (see dti.framework.periods).
"""

from sqlalchemy import UniqueConstraint

from dti.warehouse.models.base import MAX_INTEGER, NAMING, POINTS, VALUE, Base, UTCDateTime
from dti.warehouse.models.derived import CheckResult, ClaimLedgerRow, ObjectiveMetric, UnitScore
from dti.warehouse.models.evidence import EvidenceText, EvidenceVerdictRow
from dti.warehouse.models.intake import (
    EvidenceCitation,
    EvidenceFile,
    IntakeFile,
    QuarantineRow,
    SelfReport,
    Submission,
)
from dti.warehouse.models.raw import (
    QuarantinedRecord,
    RawDocument,
    RawDossier,
    RawIncident,
    RawInventory,
    RawProcedure,
    RawStaff,
    SourceStatus,
    SyncBatch,
    SyncWatermark,
    metrics_index_name,
)
from dti.warehouse.models.reference import FrameworkVersion, Unit, UnitLink, UnitRevision
from dti.warehouse.models.review import (
    Alert,
    AuditEntry,
    BlobStore,
    Decision,
    ExplanationRequest,
    PeriodPhase,
    Publication,
    Reopening,
    User,
    WebSession,
)
from dti.warehouse.models.tabular import RawTabularRow, TabularLoad, TabularMark, TabularReject

__all__ = [
    "MAX_INTEGER", "NAMING", "POINTS", "VALUE", "Alert", "AuditEntry", "Base", "BlobStore", "CheckResult", "ClaimLedgerRow",
    "Decision", "EvidenceCitation", "EvidenceFile", "EvidenceText", "EvidenceVerdictRow", "ExplanationRequest",
    "FrameworkVersion", "IntakeFile", "ObjectiveMetric", "PeriodPhase", "Publication", "QuarantineRow",
    "QuarantinedRecord", "Reopening", "RawDocument", "RawDossier", "RawIncident", "RawInventory", "RawProcedure",
    "RawStaff", "RawTabularRow", "SelfReport", "SourceStatus", "Submission", "SyncBatch", "SyncWatermark", "TabularLoad", "TabularMark", "TabularReject", "UTCDateTime",
    "UniqueConstraint", "Unit", "UnitLink", "UnitRevision", "UnitScore", "User", "WebSession", "metrics_index_name",
]
