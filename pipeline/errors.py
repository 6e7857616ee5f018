"""The error tree every user-visible failure belongs to.

The root is a click.ClickException, so the CLI prints `Error: …` and exits 1 without translating anything.
Messages name the file and the cause, and give a hint where there is one.
"""

from __future__ import annotations

import click


class FormReviewError(click.ClickException):
    """Root of every error a user may see. Raise a subclass."""


class SettingsError(FormReviewError):
    """A configuration file or flag is invalid."""

    exit_code = 2


class VideoError(FormReviewError):
    """A video cannot be read: missing, empty, not a video, no video stream, undecodable."""


class PoseError(FormReviewError):
    """A pose backend cannot be loaded or run (model missing, dependency missing)."""


class AnalysisError(FormReviewError):
    """The clip cannot be analysed (no person found, too few frames)."""


class JobTimeout(FormReviewError):
    """One video ran past the per-video time limit."""


class ClusterError(FormReviewError):
    """`--cluster`: Ray is missing, the cluster cannot be reached, or a node cannot run the batch."""
