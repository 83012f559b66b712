"""The song library of the web app: songs added by path or upload, analysed in the
background with progress, and their charts at every level.

The library lives in the data folder (``songs/`` for uploads, ``library.json`` for the
list, ``kits/`` for each microphone player's kit calibration). A song added by path
stays where it is; an upload is stored under ``songs/`` only, named by its content
hash, never by the name the browser sent. The bundled demo song is always in the
library.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from onebeat._io import atomic_write_text
from onebeat.analysis import DEFAULT_BACKEND, analyze, analyze_drums, cache_dir
from onebeat.analysis.barfix import BarFixes
from onebeat.analysis.drumless import drum_level, song_at_level
from onebeat.analysis.drums import FPS as DRUM_FPS
from onebeat.analysis.drums import DrumAnalysis
from onebeat.analysis.sections import section_names
from onebeat.analysis.songmap import SongMap
from onebeat.audio import load_audio, song_title, write_ogg_vorbis
from onebeat.audio.decode import audio_sha256, file_sha256
from onebeat.audio.stretch import MIN_SPEED, time_stretch
from onebeat.chart import Chart, generate_chart
from onebeat.demo import demo_song_path
from onebeat.errors import InputError, OnebeatError
from onebeat.hearing import KitProfile, Reference

__all__ = [
    "AUDIO_SUFFIXES",
    "MAX_UPLOAD_BYTES",
    "Library",
    "LibraryError",
    "SongEntry",
    "SongNotFoundError",
]

log = logging.getLogger("onebeat.web")

#: Largest upload taken [bytes]: a 20-minute song in a lossless format fits.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024
#: The song references kept for microphones (decoded songs and their band tables), at
#: most this much memory: a 3-minute song at 48 kHz takes about 80 MB [bytes].
REFERENCE_CACHE_BYTES = 256 * 1024 * 1024
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac")


#: What a song's analysis does next, in a player's words, after each step the analysis
#: reports (its own names are the models': "downbeat activations", "texture").
BEATS_NEXT = {
    "": "reading the song",
    "decoded": "listening for the beat",
    "beat activations": "finding the beats",
    "beat tracking": "finding the bars",
    "downbeat activations": "finding the bars",
    "bar activations": "hearing the drums",
    "bar features": "hearing the drums",
}
DRUMS_NEXT = {"decoded": "hearing the drums", "drums": "finding the sections", "texture": "done"}


class LibraryError(OnebeatError):
    """A song cannot be added or is not in the library."""


class SongNotFoundError(LibraryError):
    """No song of that id is in the library."""


@dataclass
class SongEntry:
    """A song of the library and the state of its analysis."""

    id: str
    title: str
    path: Path
    sha256: str
    status: str = "queued"  # queued, analysing, ready, failed
    progress: float = 0.0
    step: str = ""
    error: str = ""
    songmap: SongMap | None = field(default=None, repr=False)
    drums: DrumAnalysis | None = field(default=None, repr=False)
    #: The song without its drums ("drums down"): "" (not asked for yet), "preparing",
    #: "ready" or "failed" (then the song plays with its drums).
    drumless: str = ""
    #: The hash of its audio stream as stored (16 hex; "" until its analysis job ran): a
    #: remote partner's copy of the same recording matches it whatever its tags.
    audio_id: str = ""

    def to_json(self) -> dict[str, Any]:
        sm = self.songmap
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "progress": round(self.progress, 3),
            "step": self.step,
            "error": self.error,
            "duration": None if sm is None else round(sm.duration, 3),
            "tempo_bpm": None if sm is None else round(sm.tempo_bpm, 1),
            "meter": None if sm is None else sm.time_signature,
            # where bar 1 is, and how far the player moved it ("bar 1 is here")
            "first_downbeat": None
            if sm is None or not len(sm.downbeats)
            else round(float(sm.downbeats[0]), 3),
            "bar_shift": None if sm is None else int(sm.analysis.get("bar_shift", 0)),
            # how sure the analysis is of its bar grid (None once the player moved bar 1)
            "bar_one_sure": None
            if sm is None or sm.bar_confidence is None
            else round(float(sm.meter_confidence), 3),
            "drumless": self.drumless,
            "audio_id": self.audio_id,
        }


def _index_item(e: SongEntry) -> dict[str, Any]:
    """A song as the list keeps it: where it is, its title, and its hash with the size and
    modification time the file had when hashed (see :meth:`Library.add_path`)."""
    item: dict[str, Any] = {"title": e.title, "path": str(e.path), "sha256": e.sha256}
    try:
        st = e.path.stat()
        item.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    except OSError:
        pass
    return item


def _known(item: dict[str, Any]) -> tuple[str, int, int] | None:
    """The hash the list kept for a song, with its file's size and time then (None when
    the list has none: an older list, or a hand-edited one)."""
    try:
        sha, size, mtime = item["sha256"], int(item["size"]), int(item["mtime_ns"])
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(sha, str) or len(sha) != 64:
        return None
    return sha, size, mtime


class Library:
    """Songs, their analyses and charts.

    Parameters
    ----------
    root : Path
        The app's data folder.
    backend : str
        Beat tracker for the analyses.
    """

    def __init__(
        self,
        root: Path,
        *,
        backend: str = DEFAULT_BACKEND,
        kit_profile: KitProfile | None = None,
        prepare_drumless: bool = False,
    ) -> None:
        self.root = root
        self.backend = backend
        #: Take each song's drums out once it is analysed, in the background, so that
        #: "song's drums: off" plays at once (else it is made when first asked for).
        self.prepare_drumless = prepare_drumless
        #: The microphone players' kit (None: the profile onebeat ships).
        self.kit_profile = kit_profile
        self._refs: OrderedDict[tuple[str, float, int, str], Reference] = OrderedDict()
        self._index = root / "library.json"
        #: Where players moved bar 1 of a song, kept with the song (by its audio's hash).
        self.bar_fixes = BarFixes(root)
        self._songs: dict[str, SongEntry] = {}
        self._charts: dict[tuple[str, int], Chart] = {}
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self._stretch_lock = threading.Lock()
        self._drumless_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onebeat-analysis")
        self._jobs: dict[str, Future[None]] = {}
        self._hashed = 0  # songs read and hashed since the list was last saved
        self.add_path(demo_song_path(), title="First Beat (demo)", save=False, analyse=False)
        self._hashed = 0  # the demo is not in the list
        for item in self._load_index():
            try:
                self.add_path(
                    Path(item["path"]),
                    title=item["title"],
                    save=False,
                    known=_known(item),
                    analyse=False,
                )
            except LibraryError as exc:  # a song that moved or went: keep the others
                log.warning("library: %s", exc)
        if self._hashed:  # an older list, or files that changed: keep their hashes now
            self._save_index()
        # the analyses (most only read from the cache) start once the list is open
        with self._lock:
            for entry in self._songs.values():
                self._jobs[entry.id] = self._pool.submit(self._analyse, entry)

    # -- the list ------------------------------------------------------------------------
    def _load_index(self) -> list[dict[str, Any]]:
        if not self._index.is_file():
            return []
        try:
            data = json.loads(self._index.read_text(encoding="utf-8"))
            return [d for d in data["songs"] if isinstance(d, dict) and "path" in d]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "library: %s unreadable (%s); starting from the demo song", self._index, exc
            )
            return []

    def _save_index(self) -> None:
        """Write the song list. The list is read and written under one lock: two adds
        saving at once each wrote the list as they had seen it, and the later rename could
        drop a song whose add had already returned."""
        demo = demo_song_path()
        with self._save_lock:
            with self._lock:
                entries = list(self._songs.values())
            songs = [_index_item(e) for e in entries if e.path != demo]
            atomic_write_text(self._index, json.dumps({"songs": songs}, indent=1) + "\n")

    def songs(self) -> list[SongEntry]:
        with self._lock:
            return list(self._songs.values())

    def get(self, song_id: str) -> SongEntry:
        entry = self._songs.get(song_id)
        if entry is None:
            raise SongNotFoundError(f"song {song_id!r} is not in the library")
        return entry

    # -- adding --------------------------------------------------------------------------
    def add_path(
        self,
        path: Path,
        *,
        title: str | None = None,
        save: bool = True,
        known: tuple[str, int, int] | None = None,
        analyse: bool = True,
    ) -> SongEntry:
        """Add an audio file where it lies; its analysis starts in the background.

        ``known``: the file's hash as the list kept it, with the size and modification
        time it had then; the file is read and hashed again only if either changed (a
        library opens in a moment, however many songs it holds). ``analyse`` off: the
        caller starts its analysis."""
        p = path.expanduser().resolve()
        if not p.is_file():
            raise LibraryError(f"{path}: no such file")
        if p.suffix.lower() not in AUDIO_SUFFIXES:
            raise LibraryError(f"{path}: not a song file ({', '.join(AUDIO_SUFFIXES)})")
        st = p.stat()
        if known is not None and known[1:] == (st.st_size, st.st_mtime_ns):
            sha = known[0]
        else:
            sha = file_sha256(p)
            self._hashed += 1
        song_id = sha[:16]
        with self._lock:
            entry = self._songs.get(song_id)
            if entry is None:
                entry = SongEntry(song_id, title or song_title(p) or p.stem, p, sha)
                self._songs[song_id] = entry
                if analyse:
                    self._jobs[song_id] = self._pool.submit(self._analyse, entry)
        if save:
            self._save_index()
        return entry

    def add_paths(self, paths: list[Path]) -> tuple[list[SongEntry], int]:
        """Add many songs where they lie, the list saved once; returns their entries and
        how many were not in the library before."""
        before = set(self._songs)
        entries = [self.add_path(p, save=False) for p in paths]
        self._save_index()
        return entries, len({e.id for e in entries} - before)

    def add_upload(self, filename: str, stream: IO[bytes]) -> SongEntry:
        """Store an uploaded song under the data folder (size-limited) and add it."""
        suffix = Path(filename).suffix.lower()
        if suffix not in AUDIO_SUFFIXES:
            raise LibraryError(f"{filename}: not a song file ({', '.join(AUDIO_SUFFIXES)})")
        songs = self.root / "songs"
        songs.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=songs, prefix=".upload-", suffix=suffix)
        tmp = Path(name)
        try:
            size = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(1 << 20):
                    size += len(chunk)
                    if size > MAX_UPLOAD_BYTES:
                        raise LibraryError(
                            f"{filename}: larger than {MAX_UPLOAD_BYTES // 2**20} MiB"
                        )
                    out.write(chunk)
            final = songs / f"{file_sha256(tmp)[:16]}{suffix}"
            if final.exists():
                tmp.unlink()
            else:
                os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        title = song_title(final) or Path(filename).stem[:80] or "song"
        return self.add_path(final, title=title)

    def wait(self, song_id: str, timeout: float | None = None) -> SongEntry:
        """Wait for a song's analysis (tests, the ``play`` command)."""
        job = self._jobs.get(song_id)
        if job is not None:
            job.result(timeout=timeout)
        return self.get(song_id)

    def _analyse(self, entry: SongEntry) -> None:
        def stage(lo: float, hi: float, next_: dict[str, str]) -> Callable[[float, str], None]:
            def report(fraction: float, step: str) -> None:
                entry.progress = lo + (hi - lo) * fraction
                entry.step = next_.get(step, entry.step)

            return report

        entry.status, entry.step = "analysing", BEATS_NEXT[""]
        try:
            if not entry.audio_id:  # a demux pass, no decoding (tens of ms a song)
                entry.audio_id = audio_sha256(entry.path)[:16]
            songmap = analyze(
                entry.path, backend=self.backend, progress=stage(0.0, 0.6, BEATS_NEXT)
            )
            entry.songmap = self.bar_fixes.apply(songmap)
            entry.drums = analyze_drums(entry.path, progress=stage(0.6, 1.0, DRUMS_NEXT))
        except OnebeatError as exc:
            # the page names the song by its title: an upload's stored path (a hash under
            # the data folder) says nothing to the player
            entry.status, entry.error = "failed", str(exc).replace(str(entry.path), entry.title)
            log.warning("library: %s", exc)
            return
        except Exception as exc:  # an analysis bug must not kill the worker: report it
            entry.status, entry.error = "failed", f"{entry.path.name}: analysis failed ({exc})"
            log.exception("library: analysing %s", entry.path)
            return
        entry.progress, entry.status, entry.step = 1.0, "ready", DRUMS_NEXT["texture"]
        if self.prepare_drumless:
            self._pool.submit(self._drumless, entry)

    def _drumless(self, entry: SongEntry) -> bool:
        """Take the song's drums out (cached by its audio's hash); False where that fails
        (the song then plays with its drums, and the player is told why in the log)."""
        with self._drumless_lock:  # one at a time: a second asker waits for the first
            if entry.drumless in ("ready", "failed"):
                return entry.drumless == "ready"
            entry.drumless = "preparing"
            try:
                song_at_level(entry.path, "off")
            except OnebeatError as exc:
                log.warning("library: no drumless %s: %s", entry.title, exc)
                entry.drumless = "failed"
            except Exception:  # a separation bug must not kill the worker: report it
                log.exception("library: taking the drums out of %s", entry.path)
                entry.drumless = "failed"
            else:
                entry.drumless = "ready"
            return entry.drumless == "ready"

    # -- charts --------------------------------------------------------------------------
    def chart(self, song_id: str, level: int) -> Chart:
        """The song's chart at a level (computed once)."""
        entry = self.get(song_id)
        if entry.status != "ready" or entry.songmap is None:
            raise LibraryError(f"{entry.title}: not analysed yet ({entry.status})")
        key = (song_id, level)
        chart = self._charts.get(key)
        if chart is None:
            drums = entry.drums if level >= 4 else None
            chart = generate_chart(entry.songmap, level=level, title=entry.title, drums=drums)
            self._charts[key] = chart
        return chart

    def rename(self, song_id: str, title: str) -> SongEntry:
        """Give a song the title the player wants (kept in the library's list)."""
        entry = self.get(song_id)
        name = " ".join(title.split())[:80]
        if not name:
            raise LibraryError("title: give the song a name")
        entry.title = name
        self._forget_charts(song_id)  # charts carry the song's title
        if entry.path != demo_song_path():
            self._save_index()
        return entry

    def shift_bars(self, song_id: str, beats: int) -> SongEntry:
        """ "Bar 1 is here": move the song's downbeats ``beats`` beats later (earlier when
        negative), keep that with the song, and let its charts follow."""
        entry = self.get(song_id)
        if entry.status != "ready" or entry.songmap is None:
            raise LibraryError(f"{entry.title}: not analysed yet ({entry.status})")
        entry.songmap = self.bar_fixes.move(entry.songmap, beats)
        self._forget_charts(song_id)
        return entry

    def _forget_charts(self, song_id: str) -> None:
        """Drop a song's charts (made again on the next ask): its title or bars moved."""
        with self._lock:
            for key in [k for k in self._charts if k[0] == song_id]:
                del self._charts[key]

    def bars(self, song_id: str) -> dict[str, Any]:
        """How many bars the song has, its sections as bar ranges (1-based, inclusive;
        from the level-4 chart, which finds them; empty where it cannot), and their names
        (A, B, C… by what repeats, intro and outro; :func:`section_names`)."""
        chart = self.chart(song_id, 1)
        down = np.flatnonzero(chart.beat_positions == 1)
        sections: list[list[int]] = []
        try:
            starts = self.chart(song_id, 4).sections
        except OnebeatError as exc:  # no transcription for this song: no sections
            log.info("library: no sections for %s: %s", song_id, exc)
            starts = ()
        first_bars = sorted({int(np.searchsorted(down, b, side="right")) for b in starts} - {0})
        for a, b in zip(first_bars, [*first_bars[1:], len(down) + 1], strict=True):
            sections.append([a, b - 1])
        entry = self.get(song_id)
        names: list[str] = []
        if sections and entry.drums is not None and len(chart.beats) > 1:
            beats = np.asarray(chart.beats, dtype=float)
            bar_times = np.append(beats[down], 2 * beats[-1] - beats[-2])
            names = section_names(
                bar_times=bar_times,
                starts=[a - 1 for a, _ in sections],
                texture=entry.drums.texture,
                drum_activations=entry.drums.onsets.activations,
                drum_fps=DRUM_FPS,
            )
        return {"bars": len(down), "sections": sections, "names": names}

    def audio(self, song_id: str, speed: float = 1.0, drums: str = "full") -> Path:
        """The song's audio file at a practice speed and with its drums at a level of
        :data:`~onebeat.analysis.drumless.DRUM_LEVELS`: the original at 1 and "full", else
        made once and cached (the drums taken out or turned down, then the song
        time-stretched to the speed at the same pitch). A song whose drums cannot be
        taken out plays with them."""
        entry = self.get(song_id)
        gain = drum_level(drums)  # a level not known is refused, naming the field
        if not MIN_SPEED <= speed <= 1.0:
            raise LibraryError(f"speed {speed}: practice speeds are {MIN_SPEED}–1")
        src = entry.path
        if gain < 1.0 and self._drumless(entry):
            src = song_at_level(entry.path, drums)
        else:
            drums = "full"
        if speed == 1.0:
            return src
        # the drumless song's cache name carries its separation's fingerprint: new weights,
        # new practice copies
        key = entry.sha256 if src == entry.path else src.stem
        out = cache_dir() / "stretch" / f"{key}.{round(speed * 100)}.ogg"
        with self._stretch_lock:
            if not out.is_file():
                audio = load_audio(src, mono=False)
                write_ogg_vorbis(out, time_stretch(audio.y, audio.sr, speed), audio.sr)
        return out

    def _kit_path(self, player: str) -> Path:
        digest = hashlib.sha256(player.encode()).hexdigest()[:16]
        return self.root / "kits" / f"{digest}.json"

    def kit_for(self, player: str) -> KitProfile | None:
        """The kit a microphone player calibrated (saved by :meth:`save_kit`), else the
        one given at start-up (None: the profile onebeat ships). A saved profile that no
        longer reads is logged and passed over, not deleted."""
        path = self._kit_path(player)
        if path.is_file():
            try:
                return KitProfile.read(path)
            except InputError as exc:
                log.warning("%s's kit profile is unreadable (%s); using the default", player, exc)
        return self.kit_profile

    def save_kit(self, player: str, profile: KitProfile) -> Path:
        """Keep a player's kit calibration (one file per player name, written atomically:
        a calibration never leaves half a profile)."""
        path = self._kit_path(player)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"player": player, **profile.to_json()}
        atomic_write_text(path, json.dumps(data, separators=(",", ":")) + "\n")
        return path

    def reference(self, song_id: str, speed: float, sr: int, drums: str = "full") -> Reference:
        """The song as the room hears it at a practice speed and drum level, for a
        microphone at ``sr`` (decoded once per speed, level and rate; the least recently
        used go once the cache holds more than :data:`REFERENCE_CACHE_BYTES`)."""
        key = (song_id, round(speed, 2), sr, drums)
        with self._stretch_lock:
            ref = self._refs.get(key)
            if ref is not None:
                self._refs.move_to_end(key)
        if ref is None:
            y = load_audio(self.audio(song_id, round(speed, 2), drums), sr=sr).y
            ref = Reference(np.asarray(y, dtype=np.float32), sr, speed=round(speed, 2))
            ref.prepare()  # its band energies, worked out now rather than mid-song
            with self._stretch_lock:
                self._refs[key] = ref
                while len(self._refs) > 1 and self.reference_bytes > REFERENCE_CACHE_BYTES:
                    self._refs.popitem(last=False)
        return ref

    @property
    def reference_bytes(self) -> int:
        """Memory the cached song references hold [bytes]."""
        return sum(r.nbytes for r in list(self._refs.values()))

    def close(self, *, wait: bool = False) -> None:
        """Stop the analyses not yet begun; ``wait``: for the one under way too."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
