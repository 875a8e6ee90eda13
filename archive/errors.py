"""Exit codes and the errors that map to them, shared by the library and the CLI.

Kept import-free so that the CLI can name them without loading the heavy
modules (whoosh, numpy, jieba) before it needs them.

Exit codes, the same for every command that processes files (cron relies on
them): 0 all good · 3 finished, some files failed · 1 failed / nothing could
be done · 2 usage error · 75 another writer holds the data home's lock.
"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_LOCKED = 0, 1, 2, 3, 75


class Locked(RuntimeError):
    """Another process is writing to this data home."""
