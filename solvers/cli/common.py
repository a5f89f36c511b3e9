"""What every command shares: its one-line failures, and the guard that keeps stdout for the result.

Standard output belongs to the result: a guard at the file-descriptor level.

While a command works, anything written to file descriptor 1, by Python code
or by a C library (HiGHS, SCS, CUDA, torch) through ``printf``, goes to
standard error instead. The result (the summary or the one JSON document) is
collected in a buffer and written to the real standard output only once the
descriptor is restored, at the end.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from typing import Iterator, TextIO


def _flush_all() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[TextIO]:
    """Point descriptor 1 (and ``sys.stdout``) at standard error; yield the buffer for the result.

    On exit (normal or not) descriptor 1 is restored with :func:`os.dup2` and
    what was written to the yielded buffer goes to the real standard output.
    C-level buffers of stdio are flushed by the libraries themselves when they
    print a newline on a terminal or pipe; ``fflush`` of libc is called so that
    nothing buffered below Python crosses the switch.
    """
    result = io.StringIO()
    _flush_all()
    _libc_fflush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield result
    finally:
        _flush_all()
        _libc_fflush()
        os.dup2(saved, 1)
        os.close(saved)
        sys.stdout.write(result.getvalue())
        sys.stdout.flush()


def _libc_fflush() -> None:
    """fflush(NULL): write out every C stdio buffer before descriptor 1 is switched."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL(None).fflush(None)


def fail(kind: str, message: str, code: int) -> int:
    """One line on stderr (``solve: KIND: MESSAGE``) and the exit code to return."""
    print(f"solve: {kind}: {message}", file=sys.stderr)
    return code
