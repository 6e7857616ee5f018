"""Where the data files formreview carries live: `configs/` and `templates/`.

An installed wheel holds them inside the package (`pipeline/_data/<name>`, see pyproject's force-include); a
source checkout (the editable install) holds them beside the package, at the repository root. Both are found
through `importlib.resources` on the package, so the two layouts give the same files. Nothing falls back
silently: a missing folder is an error that names what is missing.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pipeline.errors import SettingsError


def data_dir(name: str) -> Path:
    """The folder of packaged data `name` ("configs" or "templates").

    Raises:
        SettingsError: neither the installed nor the checkout copy exists (a broken install).
    """
    package = Path(str(resources.files("pipeline")))
    for cand in (package / "_data" / name, package.parent / name):
        if cand.is_dir():
            return cand
    raise SettingsError(
        f"formreview's built-in {name}/ folder is missing from this install (looked in {package / '_data' / name} "
        f"and {package.parent / name}): reinstall formreview"
    )


def data_file(name: str, filename: str) -> Path:
    """A file inside `data_dir(name)`.

    Raises:
        SettingsError: the folder or the file is missing (a broken install).
    """
    path = data_dir(name) / filename
    if not path.is_file():
        raise SettingsError(f"formreview's built-in {name}/{filename} is missing from this install ({path}): reinstall")
    return path
