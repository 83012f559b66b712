"""onebeat: play drums along to real songs, alone or as a pair, and learn it in minutes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("onebeat")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

from onebeat.errors import OnebeatError

__all__ = ["OnebeatError", "__version__"]
