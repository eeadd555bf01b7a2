"""One root error for everything triage reports to a user, and its few children.

The CLI maps each class to an exit code and prints ``str(error)`` as one line; anything else
escaping the pipeline is a bug.
"""


class TriageError(Exception):
    """Root of all errors triage reports as one clear line."""

    exit_code = 3


class UsageError(TriageError):
    """The command line asks for something that cannot be done (bad option combination)."""

    exit_code = 2


class InputError(TriageError):
    """The drop or a source is missing, unreadable, not an archive, corrupt or truncated."""

    exit_code = 3


class InventoryError(TriageError):
    """The inventory database is missing, unreadable, empty or of another schema."""

    exit_code = 4


class LimitExceeded(TriageError):
    """A reading limit was hit (raised inside readers, reported as a skipped member)."""

    exit_code = 3
