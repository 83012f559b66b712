"""The ``onebeat`` command (:mod:`onebeat.cli.main`) and the terminal lesson
(:mod:`onebeat.cli.terminal`)."""

from onebeat.cli.main import build_parser, format_summary, main

__all__ = ["build_parser", "format_summary", "main"]
