"""Domain errors with stable codes; edges (CLI, API) map them to exit codes and HTTP statuses."""

from __future__ import annotations


class AftersalesError(Exception):
    """Base class: every domain error carries a stable machine-readable code."""

    code = "E000_internal"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """Serialise in the API error shape of DESIGN.md §5."""
        return {"code": self.code, "message": self.message}


class ConfigError(AftersalesError):
    """Settings or a config file could not be read or validated."""

    code = "E001_config"


class InputFileError(AftersalesError):
    """A whole input file cannot be read (missing, unsupported format, no header, undecodable)."""

    code = "E100_input_file"


class UnknownEntityError(AftersalesError):
    """An ingest was asked for an entity that DESIGN.md §4 does not define."""

    code = "E101_unknown_entity"


class ColumnMappingError(AftersalesError):
    """Required columns are missing after alias and --map resolution, or a --map is malformed."""

    code = "E102_column_mapping"


class DatabaseError(AftersalesError):
    """The database cannot be reached or migrated."""

    code = "E200_database"


class NotFoundError(AftersalesError):
    """A referenced object does not exist."""

    code = "E404_not_found"


class InvalidInputError(AftersalesError):
    """A request or argument is malformed (bad value, unknown code, missing field)."""

    code = "E400_invalid_input"


class AuthenticationError(AftersalesError):
    """No credentials, or credentials that match no active user/API key."""

    code = "E401_unauthenticated"


class PermissionDeniedError(AftersalesError):
    """The user is known but their role or queues do not allow this."""

    code = "E403_forbidden"


class ConflictError(AftersalesError):
    """The request clashes with the current state (e.g. a username that already exists)."""

    code = "E409_conflict"


class PolicyError(AftersalesError):
    """A triage policy file cannot be read or fails validation (the message names the rule and field)."""

    code = "E300_policy"


class IllegalTransitionError(AftersalesError):
    """A case status change that DESIGN.md §3 does not allow."""

    code = "E310_illegal_transition"


class DeliveryError(AftersalesError):
    """A notification could not be delivered by its sender (retried later by the outbox)."""

    code = "E320_delivery"
