"""Import every feature's models so the metadata is complete (migrations, create_all)."""

from cxprogram.auth.models import (
    ApiToken,
    LoginAttempt,
    PasswordReset,
    Role,
    User,
    UserSession,
    user_departments,
)
from cxprogram.core.models import AuditEvent
from cxprogram.exports.models import ExportJob, JobState
from cxprogram.imports.models import PendingUpload
from cxprogram.metrics.models import MetricDefinition, Observation, ReportingPeriod
from cxprogram.org.models import (
    Channel,
    Department,
    JourneyStage,
    OrgSettings,
    Service,
    ServiceStandard,
)
from cxprogram.reminders.models import ReminderLog
from cxprogram.reports.models import QuarterlyReport
from cxprogram.review.models import PlanReview
from cxprogram.rollup.models import (
    RollupPeriodAggregates,
    RollupPeriodStamp,
    RollupSnapshot,
)
from cxprogram.strategies.models import (
    Milestone,
    Strategy,
    StrategyDriver,
    StrategyMetric,
    StrategyTouchpoint,
    StrategyUpdate,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Channel",
    "Department",
    "ExportJob",
    "JobState",
    "JourneyStage",
    "LoginAttempt",
    "MetricDefinition",
    "Milestone",
    "Observation",
    "OrgSettings",
    "PasswordReset",
    "PendingUpload",
    "PlanReview",
    "QuarterlyReport",
    "ReminderLog",
    "ReportingPeriod",
    "Role",
    "RollupPeriodAggregates",
    "RollupPeriodStamp",
    "RollupSnapshot",
    "Service",
    "ServiceStandard",
    "Strategy",
    "StrategyDriver",
    "StrategyMetric",
    "StrategyTouchpoint",
    "StrategyUpdate",
    "User",
    "UserSession",
    "user_departments",
]
