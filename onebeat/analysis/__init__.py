"""Song analysis: beats, downbeats, meter and tempo curve → :class:`SongMap`."""

from onebeat.analysis.backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    BackendInfo,
    BeatBackend,
    BeatTrack,
    get_backend,
)
from onebeat.analysis.evaluate import evaluate
from onebeat.analysis.meter import BarInference, infer_bars
from onebeat.analysis.pipeline import ANALYSIS_VERSION, MIN_DURATION_S, analyze, cache_dir
from onebeat.analysis.songmap import SONGMAP_VERSION, SongMap
from onebeat.analysis.tempo import TempoCurve, tempo_curve

__all__ = [
    "ANALYSIS_VERSION",
    "BACKENDS",
    "DEFAULT_BACKEND",
    "MIN_DURATION_S",
    "SONGMAP_VERSION",
    "BackendInfo",
    "BarInference",
    "BeatBackend",
    "BeatTrack",
    "SongMap",
    "TempoCurve",
    "analyze",
    "cache_dir",
    "evaluate",
    "get_backend",
    "infer_bars",
    "tempo_curve",
]
