"""Key files made once: processes that start together agree on one file."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_once(path: Path, data: bytes) -> bool:
    """Put ``data`` at ``path`` unless a file is there already, readable by its owner
    only; True when this call made it. The first process to link its draft into place
    wins and the others keep the file it made."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    draft.touch(mode=0o600)
    draft.write_bytes(data)
    try:
        os.link(draft, path)
        return True
    except FileExistsError:
        return False  # another process made it first
    finally:
        draft.unlink()
