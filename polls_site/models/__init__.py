"""Database models, one module per area; everything is importable from here."""

from .base import UTCDateTime, utcnow
from .comments import (
    REASON_LENGTH,
    REPORT_TEXT_LENGTH,
    USER_AGENT_LENGTH,
    Ban,
    Comment,
    CommentLike,
    CommentReport,
    CommentStatus,
    ModerationSetting,
    ModerationWord,
    Thread,
    WordKind,
)
from .notifications import EMAIL_LENGTH, EmailOptOut, NotificationSetting, ReplySubscription
from .polls import (
    Ballot,
    BallotChange,
    BallotChoice,
    Option,
    Poll,
    PollStatus,
    ResultSnapshot,
    ResultsVisibility,
    voting_state,
)
from .staff import AuditEntry, Role, StaffUser

__all__ = [
    "EMAIL_LENGTH",
    "REASON_LENGTH",
    "REPORT_TEXT_LENGTH",
    "USER_AGENT_LENGTH",
    "AuditEntry",
    "Ballot",
    "BallotChange",
    "BallotChoice",
    "Ban",
    "Comment",
    "CommentLike",
    "CommentReport",
    "CommentStatus",
    "EmailOptOut",
    "ModerationSetting",
    "ModerationWord",
    "NotificationSetting",
    "Option",
    "Poll",
    "PollStatus",
    "ReplySubscription",
    "ResultSnapshot",
    "ResultsVisibility",
    "Role",
    "StaffUser",
    "Thread",
    "UTCDateTime",
    "WordKind",
    "utcnow",
    "voting_state",
]
