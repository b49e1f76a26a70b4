"""Child processes of the local launchers die with them.

`make run` and the test fixtures start the broker and every service as children. If the
launcher is killed outright (SIGKILL, a closed terminal), its children would otherwise keep
the ports and the data directory, and the next start would find them in its way.
"""

from __future__ import annotations

import ctypes
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn`` for subprocess.Popen: the kernel sends the child SIGTERM when the
    process that started it exits (Linux only; elsewhere nothing happens)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
