"""Writing files: atomically, and with modes that keep what is being written private.

Every file the product writes goes through `write_atomic` (a temp file in the same folder, then a rename), so a
reader never sees half a file and a crash leaves the old one. Staging folders and temp files are made by
mkdtemp/mkstemp (0700/0600), so no one else reads half a report; finished ones get the modes any new file would
get (0755/0644 under umask 022), so a shared drive, another account or a web server can read them when the
coach's umask allows.
"""

from __future__ import annotations

import json
import os
import tempfile
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


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `path` through a temp file in the same folder, so readers never see half a file; str as UTF-8."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            os.fchmod(fh.fileno(), 0o666 & ~umask())  # mkstemp makes 0600; a finished file follows the umask
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: object) -> None:
    """`write_atomic` of `data` as JSON (indented, UTF-8, NaN refused: results store missing values as null)."""
    write_atomic(path, json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False))
