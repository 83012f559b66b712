"""Song analysis: beats, downbeats, meter and tempo curve → :class:`SongMap`."""

from onebeat.analysis.backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    BackendInfo,
    BeatBackend,
    BeatTrack,
    get_backend,
)
from onebeat.analysis.drums import DRUM_CLASSES, DrumAnalysis, DrumOnsets, transcribe_drums
from onebeat.analysis.evaluate import evaluate
from onebeat.analysis.meter import BarInference, infer_bars
from onebeat.analysis.pipeline import (
    ANALYSIS_VERSION,
    MIN_DURATION_S,
    analyze,
    analyze_drums,
    cache_dir,
)
from onebeat.analysis.sections import section_starts
from onebeat.analysis.songmap import SONGMAP_VERSION, SongMap
from onebeat.analysis.tempo import TempoCurve, tempo_curve

__all__ = [
    "ANALYSIS_VERSION",
    "BACKENDS",
    "DEFAULT_BACKEND",
    "DRUM_CLASSES",
    "MIN_DURATION_S",
    "SONGMAP_VERSION",
    "BackendInfo",
    "BarInference",
    "BeatBackend",
    "BeatTrack",
    "DrumAnalysis",
    "DrumOnsets",
    "SongMap",
    "TempoCurve",
    "analyze",
    "analyze_drums",
    "cache_dir",
    "evaluate",
    "get_backend",
    "infer_bars",
    "section_starts",
    "tempo_curve",
    "transcribe_drums",
]
