"""File modes: what is being written stays private, what is finished follows the coach's umask.

Staging folders and temp files are made by mkdtemp/mkstemp (0700/0600), so no one else reads half a report;
finished ones get the modes any new file would get (0755/0644 under umask 022), so a shared drive, another
account or a web server can read them when the coach's umask allows.
"""

from __future__ import annotations

import os
from pathlib import Path


def umask() -> int:
    """The process's umask (read by setting it and putting it back: Python 3.11 has no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def open_to_umask(folder: Path) -> None:
    """Give `folder` and everything in it the modes a new folder and file get under the umask."""
    mask = umask()
    for root, _dirs, files in os.walk(folder):
        os.chmod(root, 0o777 & ~mask)
        for name in files:
            os.chmod(os.path.join(root, name), 0o666 & ~mask)
