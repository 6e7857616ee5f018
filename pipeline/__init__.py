"""formreview: batch form review of squat and lunge videos (pose → metrics → report)."""

__version__ = "0.7.36"
