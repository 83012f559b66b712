"""The ``onebeat`` command (:mod:`onebeat.cli.main`) and the terminal lesson
(:mod:`onebeat.cli.terminal`)."""

from onebeat.cli.main import format_summary, main

__all__ = ["format_summary", "main"]
