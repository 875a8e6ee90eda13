"""Exit codes and the library's typed errors, shared by the library, the CLI
and the web app.

Kept import-free so that the CLI can name them without loading the heavy
modules (whoosh, numpy, jieba) before it needs them.

Exit codes, the same for every command that processes files (cron relies on
them): 0 all good · 3 finished, some files failed · 1 failed / nothing could
be done · 2 usage error · 75 another writer holds the data home's lock.

Every error a caller is meant to handle is an `ArchiveError` with a stable
`code` and the values its message names in `details`: the CLI turns it into
its `exit_code` and the English message, the web app into an HTTP status and
a message in Chinese chosen by `code` (web/messages.py) — never by reading
the English text.
"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_LOCKED = 0, 1, 2, 3, 75


class ArchiveError(Exception):
    """An error with a code; `str(exc)` is the English message."""
    code = "failed"
    exit_code = EXIT_FAILED

    def __init__(self, message: str, code: str | None = None, **details):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.details = details


class UsageError(ArchiveError, ValueError):
    """The caller asked for something that cannot be done as asked."""
    code = "usage"
    exit_code = EXIT_USAGE


class QueryError(UsageError):
    """A search request that cannot be answered as given.

    Codes: query_too_long (length, max, used), bad_sort (choices), bad_page /
    bad_size (max), bad_month, month_needs_year, bad_date (value).
    """
    code = "bad_request"


class SearchTimeout(QueryError):
    """A search that ran past its time limit and was cut (web: 503)."""
    code = "timeout"
    exit_code = EXIT_FAILED


class RequestTimeout(SearchTimeout):
    """A request (a document page, an export, facets) that ran past the
    server's per-request budget outside any search (web: 503)."""
    code = "request_timeout"


class ConfigError(UsageError):
    """archive.toml cannot be read or says something impossible."""
    code = "config"


class Locked(ArchiveError, RuntimeError):
    """Another process is writing to this data home."""
    code = "locked"
    exit_code = EXIT_LOCKED


class NoArchive(ArchiveError, FileNotFoundError):
    """The data home holds no archive yet."""
    code = "no_archive"


class NoIndex(ArchiveError, RuntimeError):
    """The data home has no index yet (or one this version cannot read)."""
    code = "no_index"


class NotFound(ArchiveError, LookupError):
    """No bulletin with that id (details: doc_id)."""
    code = "not_found"
