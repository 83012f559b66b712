"""Charts generated from a SongMap, by level: levels 1–3 from the beat grid alone
(:mod:`onebeat.chart.grid`), 4–5 from the song's transcribed drums
(:mod:`onebeat.chart.transcribed`)."""

from __future__ import annotations

from onebeat.analysis.drums import DrumAnalysis
from onebeat.analysis.songmap import SongMap
from onebeat.chart.grid import GRID_LEVELS, grid_chart, grid_notes
from onebeat.chart.model import Chart
from onebeat.chart.transcribed import transcribed_chart
from onebeat.errors import ChartError

__all__ = ["GRID_LEVELS", "LEVELS", "LEVEL_HINTS", "LEVEL_NAMES", "generate_chart", "grid_notes"]

LEVEL_NAMES = {
    1: "tap the beat",
    2: "backbeat",
    3: "basic rock groove",
    4: "the song's groove",
    5: "full",
}
#: What each level asks of the player, in a few words (the page's level picker).
LEVEL_HINTS = {
    1: "one note per beat; any pad counts",
    2: "kick on 1 and 3, snare on 2 and 4",
    3: "hi-hat eighths over the backbeat",
    4: "kick, snare and hi-hat as the song's drums play them",
    5: "level 4 with the song's fills, open hi-hats, ride and crashes",
}
#: All levels (4 and 5 need the song's transcribed drums).
LEVELS = (1, 2, 3, 4, 5)


def generate_chart(
    songmap: SongMap, *, level: int, title: str = "", drums: DrumAnalysis | None = None
) -> Chart:
    """Write the chart of a level from a SongMap.

    Parameters
    ----------
    songmap : SongMap
    level : int
        1–3 from the beat grid (:mod:`onebeat.chart.grid`); 4–5 from the song's drums
        (see :mod:`onebeat.chart.transcribed`).
    title : str
        Shown by players and written to exported files.
    drums : DrumAnalysis, optional
        The song's transcribed drums (:func:`onebeat.analysis.analyze_drums`); needed
        for levels 4 and 5.

    Raises
    ------
    ChartError
        For an unknown level, or level 4–5 without the drums.
    """
    if level not in LEVELS:
        raise ChartError(f"level {level}: levels are {', '.join(map(str, LEVELS))}")
    if level not in GRID_LEVELS:
        if drums is None:
            raise ChartError(f"level {level}: needs the song's transcribed drums")
        return transcribed_chart(songmap, drums, level=level, title=title)
    return grid_chart(songmap, level=level, title=title)
