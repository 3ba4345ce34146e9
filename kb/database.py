"""Which database errors mean "try again in a moment" (locked, busy, connection lost), not a bug: public
forms answer those with 503, Retry-After and everything the visitor typed."""

from django.db import InterfaceError, OperationalError

# SQLite reports programming errors ("no such table") as OperationalError too: only these mean "busy".
SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN",
                      "SQLITE_READONLY", "SQLITE_PROTOCOL")
RETRY_AFTER_SECONDS = 30


def database_unavailable(error) -> bool:
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlite_name = getattr(error.__cause__, "sqlite_errorname", None)
    return sqlite_name is None or sqlite_name.startswith(SQLITE_UNAVAILABLE)
