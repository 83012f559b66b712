"""``onebeat``: the command line.

Each subcommand is a thin front end over the library; every :class:`OnebeatError`
ends the program with its one-line message and exit code 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from onebeat import __version__
from onebeat.errors import OnebeatError

if TYPE_CHECKING:
    from onebeat.analysis.drums import DrumAnalysis
    from onebeat.analysis.songmap import SongMap
    from onebeat.chart.clonehero import Difficulty
    from onebeat.chart.model import Chart
    from onebeat.engine import Hit
    from onebeat.hearing import KitProfile
    from onebeat.kit import DrumPiece
    from onebeat.session import SessionStore

__all__ = ["format_summary", "main"]

LICENCE_NOTE = (
    "The default backend, madmom, uses neural-network weights licensed CC BY-NC-SA 4.0 "
    "(non-commercial use only); --backend librosa uses no model (ISC)."
)
SESSION_HELP = "session id (or its first characters, or 'latest')"
_SPARK = "▁▂▃▄▅▆▇█"


def _sparkline(values: np.ndarray, width: int = 48) -> str:
    if len(values) == 0:
        return ""
    chunks = np.array_split(np.asarray(values, dtype=float), min(width, len(values)))
    means = np.array([c.mean() for c in chunks])
    lo, hi = float(means.min()), float(means.max())
    if hi - lo < 0.01 * hi:  # flat within 1 %: quantisation, not drift
        return _SPARK[3] * len(means)
    idx = np.round((means - lo) / (hi - lo) * (len(_SPARK) - 1)).astype(int)
    return "".join(_SPARK[i] for i in idx)


def format_summary(sm: SongMap) -> str:
    """The short human summary of a SongMap printed by ``onebeat analyze``."""
    from onebeat.analysis.tempo import tempo_curve

    curve = tempo_curve(beats=sm.beats)
    lo, hi = (
        np.percentile(sm.tempo_curve_bpm, [5, 95])
        if len(sm.tempo_curve_bpm)
        else (sm.tempo_bpm, sm.tempo_bpm)
    )
    steadiness = "steady" if curve.steady else f"drifts {lo:.0f}–{hi:.0f}"
    n_bars = int(np.sum(sm.beat_positions == 1))
    conf = float(np.mean(sm.beat_confidence)) if len(sm.beat_confidence) else 0.0
    weak = int(np.sum(sm.beat_confidence < 0.2))
    a = sm.analysis
    lines = [
        f"{sm.audio['file']}  ({sm.duration:.1f} s, {sm.audio['codec']}, "
        f"{sm.audio['sample_rate']} Hz, {sm.audio['channels']} ch)",
        f"  tempo    {sm.tempo_bpm:6.1f} BPM  ({steadiness})",
        f"  curve    {_sparkline(sm.tempo_curve_bpm)}  {lo:.0f}–{hi:.0f} BPM",
        f"  meter    {sm.time_signature}  (confidence {sm.meter_confidence:.2f})",
        f"  beats    {len(sm.beats)} in {n_bars} bars, first {sm.first_beat:.2f} s, "
        f"last {sm.last_beat:.2f} s",
        f"  clarity  mean beat confidence {conf:.2f}" + (f"; {weak} weak beats" if weak else ""),
        f"  backend  {a['backend']} ({a.get('licence', '')}), {a.get('seconds', 0):.1f} s",
    ]
    return "\n".join(lines)


def _analyze(args: argparse.Namespace, song: Path) -> SongMap:
    """Analyse with the shared options; the progress bar shows on a terminal."""
    from onebeat.analysis import analyze

    return analyze(
        song,
        backend=args.backend,
        use_cache=not args.no_cache,
        progress=sys.stderr.isatty() or args.progress,
    )


def _cmd_analyze(args: argparse.Namespace) -> int:
    from onebeat._io import atomic_write_text

    sm = _analyze(args, args.song)
    if args.output:
        sm.save(args.output)
    if args.json:
        sys.stdout.write(sm.to_json())
    else:
        print(format_summary(sm))
        if args.output:
            print(f"  saved    {args.output}")
    if args.beats:
        atomic_write_text(
            args.beats,
            "".join(f"{t:.4f}\t{p}\n" for t, p in zip(sm.beats, sm.beat_positions, strict=True)),
        )
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from onebeat.analysis import evaluate
    from onebeat.demo import demo_song_path, demo_truth

    song = demo_song_path()
    sm = _analyze(args, song)
    print(format_summary(sm))
    truth = demo_truth()
    scores = evaluate(
        reference_beats=np.asarray(truth["beats"]),
        estimated_beats=sm.beats,
        reference_downbeats=np.asarray(truth["downbeats"]),
        estimated_downbeats=sm.downbeats,
        estimated_tempo_bpm=sm.tempo_bpm,
    )
    print(
        f"  vs truth beat F {scores['beat_f']:.3f}, downbeat F {scores['downbeat_f']:.3f}, "
        f"tempo {truth['tempo_bpm']:.1f} BPM (Acc1 {scores['acc1']:.0f})"
    )
    print(f"  song     {song}")
    return 0


def _song_folder_charts(
    sm: SongMap, drums: DrumAnalysis | None, title: str
) -> dict[Difficulty, Chart]:
    """The four difficulties of a song folder. From the song's drums: Expert is level 5,
    Hard level 4, and Medium and Easy are level 4 reduced by the Rock Band rules. From
    the beat grid alone (levels 1–3): Easy is level 2 (no gem with a kick), the rest 3."""
    from onebeat.chart import generate_chart, reduce_chart
    from onebeat.chart.clonehero import Difficulty

    if drums is None:
        easy = generate_chart(sm, level=2, title=title)
        rest = generate_chart(sm, level=3, title=title)
        return {
            Difficulty.EASY: easy,
            Difficulty.MEDIUM: rest,
            Difficulty.HARD: rest,
            Difficulty.EXPERT: rest,
        }
    groove = generate_chart(sm, level=4, title=title, drums=drums)
    return {
        Difficulty.EASY: reduce_chart(groove, "easy"),
        Difficulty.MEDIUM: reduce_chart(groove, "medium"),
        Difficulty.HARD: reduce_chart(groove, "hard"),
        Difficulty.EXPERT: generate_chart(sm, level=5, title=title, drums=drums),
    }


def _drums(args: argparse.Namespace) -> DrumAnalysis:
    from onebeat.analysis import analyze_drums

    return analyze_drums(
        args.song, use_cache=not args.no_cache, progress=sys.stderr.isatty() or args.progress
    )


def _read_chart(args: argparse.Namespace) -> tuple[Chart, Path | None, str]:
    """The chart of a song folder (at ``--difficulty``) or of a General MIDI drum file,
    with the song's audio (if known) and a few words saying what it is."""
    from onebeat.chart.clonehero import Difficulty, read_song_folder
    from onebeat.chart.midi import read_midi

    if args.song.is_dir():  # a Clone Hero / YARG / Rock Band song folder
        chart, audio_path = read_song_folder(
            args.song, difficulty=Difficulty[args.difficulty.upper()]
        )
        return chart, audio_path, f"{args.difficulty} chart from the song folder"
    return read_midi(args.song), args.audio, "chart from the MIDI file"


def _load_chart(args: argparse.Namespace) -> tuple[Chart, Path | None, str]:
    """The chart to play: read from a chart file, or written for an audio file at
    ``--level`` (its drums transcribed for levels 4-5)."""
    from onebeat.chart import LEVEL_NAMES, generate_chart

    if args.song.is_dir() or args.song.suffix.lower() in (".mid", ".midi"):
        return _read_chart(args)
    sm = _analyze(args, args.song)
    drums = _drums(args) if args.level >= 4 else None
    chart = generate_chart(sm, level=args.level, title=args.song.stem, drums=drums)
    return chart, args.song, f"level {args.level} ({LEVEL_NAMES[args.level]})"


def _cmd_chart(args: argparse.Namespace) -> int:
    from onebeat.chart import (
        LEVEL_NAMES,
        generate_chart,
        lint_chart,
        reduce_chart,
    )
    from onebeat.chart.clonehero import Difficulty, write_song_folder
    from onebeat.errors import ChartError

    duration: float | None = None
    if args.song.is_dir() or args.song.suffix.lower() in (".mid", ".midi"):
        chart, audio_path, what = _read_chart(args)
        difficulty = args.difficulty if args.song.is_dir() else None
        if args.clonehero and not args.song.is_dir():
            if audio_path is None:
                raise ChartError(f"{args.song}: a song folder needs the song's audio (--audio)")
            folder = {d: reduce_chart(chart, d.name.lower()) for d in Difficulty}
            write_song_folder(folder, audio_path, args.clonehero, title=chart.title)
    else:
        sm = _analyze(args, args.song)
        audio_path = args.song
        drums = None
        if args.level >= 4 or (args.clonehero and not args.grid_only):
            drums = _drums(args)
            duration = drums.duration_s
        chart = generate_chart(sm, level=args.level, title=args.song.stem, drums=drums)
        what = f"level {args.level} ({LEVEL_NAMES[args.level]})"
        difficulty = None
        if args.clonehero:
            charts = _song_folder_charts(sm, drums, args.song.stem)
            write_song_folder(charts, args.song, args.clonehero, title=args.song.stem)
    print(f"{args.song.name}: {what}, {len(chart.notes)} notes: {_piece_counts(chart)}")
    heard = _heard_line(chart)
    if heard:
        print(f"  heard    {heard}")
    if args.clonehero and not args.song.is_dir():
        print(f"  saved    {args.clonehero}/ (Clone Hero / YARG song folder)")
    findings = lint_chart(chart, difficulty=difficulty, duration_s=duration)
    errors = sum(1 for f in findings if f.error)
    print(f"  lint     {errors} errors, {len(findings) - errors} warnings")
    if args.lint:
        for f in findings:
            print(f"    {f}")
    if args.midi:
        _write_midi(chart, args.midi)
    if args.render:
        _render(chart, audio_path, args.render)
    if args.tab:
        _write_tab(chart, args.tab)
    return 0


def _piece_counts(chart: Chart) -> str:
    """ "kick 12, snare 8, …": how many notes each piece has."""
    counts: dict[str, int] = {}
    for n in chart.notes:
        counts[n.piece.value] = counts.get(n.piece.value, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _write_midi(chart: Chart, path: Path) -> None:
    from onebeat.chart import write_midi

    write_midi(chart, path)
    print(f"  saved    {path} (General MIDI drums, channel 10, the song's tempo map)")


def _write_tab(chart: Chart, path: Path) -> None:
    """The chart's tab to a file, or printed for ``-``."""
    from onebeat._io import atomic_write_text
    from onebeat.chart import chart_to_tab

    text = chart_to_tab(chart)
    if str(path) == "-":
        print(text)
    else:
        atomic_write_text(path, text + "\n")
        print(f"  saved    {path}")


def _heard_line(chart: Chart) -> str | None:
    """How much of a chart from the song's drums was heard, in a line (None: not such)."""
    if chart.heard_share is None:
        return None
    counts = {s: chart.bar_sources.count(s) for s in ("heard", "pattern", "groove")}
    return (
        f"{chart.heard}; bars filled in: {counts['pattern']} from the song's own patterns, "
        f"{counts['groove']} with the level-3 groove"
    )


def _cmd_transcribe(args: argparse.Namespace) -> int:
    from onebeat.chart.transcribed import transcribed_chart

    sm = _analyze(args, args.song)
    drums = _drums(args)
    chart = transcribed_chart(sm, drums, level=5, title=args.song.stem, as_heard=True)
    print(
        f"{args.song.name}: {len(chart.notes)} strokes heard on a {sm.tempo_bpm:.0f} BPM grid "
        f"({_grid_word(chart)}): {_piece_counts(chart)}"
    )
    if args.midi:
        _write_midi(chart, args.midi)
    if args.tab:
        _write_tab(chart, args.tab)
    return 0


def _grid_word(chart: Chart) -> str:
    """ "sixteenths" or "triplets": the grid a chart's notes sit on."""
    fracs = {round(n.beat % 1.0, 3) for n in chart.notes}
    return "triplets" if fracs & {0.333, 0.667} else "sixteenths"


def _render(chart: Chart, audio_path: Path | None, out: Path) -> None:
    """Write the song with the chart played over it by a synthesised kit."""
    import soundfile as sf

    from onebeat._io import atomic_path
    from onebeat.audio import load_audio
    from onebeat.audio.drumsynth import mix_hits
    from onebeat.errors import ChartError

    if audio_path is None:
        raise ChartError(f"{out}: no song audio to render the chart over (give --audio)")
    audio = load_audio(audio_path, mono=False)
    hits = [(n.time, n.piece, n.velocity) for n in chart.notes]
    mixed = mix_hits(audio.y, audio.sr, hits)
    with atomic_path(out) as tmp:
        sf.write(tmp, mixed.T, audio.sr, format="WAV", subtype="PCM_16")
    print(f"  saved    {out} (the song with the chart played over it)")


def _format_stats(name: str, st: Mapping[str, float | int]) -> str:
    from onebeat.insight.stats import signed_ms
    from onebeat.kit import lean

    timing = float(st["mean_offset_ms"])
    hit = int(st["perfect"]) + int(st["great"]) + int(st["good"])
    said = (
        f"timing {signed_ms(timing, 1)} ms ({lean(timing)}), "
        f"spread ± {float(st['sd_offset_ms']):.1f} ms"
        if hit
        else "timing – (no notes hit)"
    )
    return (
        f"  {name}: accuracy {100 * float(st['accuracy']):.1f} %, "
        f"perfect {st['perfect']}, great {st['great']}, good {st['good']}, "
        f"miss {st['miss']} of {st['notes']} notes; extra {st['extra']}, "
        f"wrong pad {st['wrong_pad']}\n"
        f"    {said}; best streak {st['best_streak']}"
    )


def _store(args: argparse.Namespace) -> SessionStore:
    from onebeat.session import SessionStore

    return SessionStore(args.db)


def _cmd_score(args: argparse.Namespace) -> int:
    import json

    from onebeat.audio.decode import file_sha256
    from onebeat.engine import PRESETS, JudgeSettings
    from onebeat.inputs import read_take
    from onebeat.inputs.takes import TAKE_SUFFIXES
    from onebeat.session import PlayerInfo, Recorder, Session, SongRef

    heard_note = ""
    if args.take.suffix.lower() in TAKE_SUFFIXES:  # read first: a bad take is said at once
        hits = read_take(args.take, players=args.player or (), kit=args.kit)
        kind = "midi" if args.take.suffix.lower() in (".mid", ".midi") else "file"
    chart, audio_path, what = _load_chart(args)
    if args.take.suffix.lower() not in TAKE_SUFFIXES:
        # a recording of the kit (a phone video's sound): heard as a microphone would
        hits, heard_note = _hear_take(args, audio_path, chart.pieces)
        kind = "microphone"
    taps = all(h.piece is None for h in hits)
    settings = JudgeSettings(windows=PRESETS[args.windows], any_pad=True if taps else None)
    names = list(dict.fromkeys(h.player for h in hits))
    session = Session(
        chart=chart,
        settings=settings,
        players=[PlayerInfo(n, kind, args.offset_ms, args.take.name) for n in names],
        song=SongRef(
            chart.title or args.song.stem,
            str(args.song.resolve()),
            file_sha256(args.song) if args.song.is_file() else "",
        ),
    )
    store = None if args.no_save else _store(args)
    try:
        recorder = Recorder(session, store)
        recorder.hits(hits)
        recorder.finish()
    finally:
        if store is not None:
            store.close()
    if args.json:
        out = {
            "session": None if store is None else session.id,
            "song": session.song.title,
            "chart": {"level": chart.level, "notes": len(chart.notes), "any_pad": taps},
            "players": session.summary,
        }
        print(json.dumps(out, indent=2))
        return 0
    print(f"{args.take.name} on {args.song.name}: {what}, {len(chart.notes)} notes")
    if heard_note:
        print(f"  heard    {heard_note}")
    if taps:
        print("  taps without pads: any pad counts for every note")
    for name, st in session.summary.items():
        print(_format_stats(name, st))
    if store is not None:
        print(f"  saved    session {session.id[:8]} ({store.path})")
    return 0


def _kit_profile(path: Path | None) -> KitProfile | None:
    from onebeat.hearing import KitProfile

    return None if path is None else KitProfile.read(path)


def _hear_take(
    args: argparse.Namespace, song_path: Path | None, part: Iterable[DrumPiece]
) -> tuple[list[Hit], str]:
    """The hits of a recorded take's audio (its strokes named among the pieces of the
    ``part`` and the kick, snare and hi-hats), and a line on where the song was heard."""
    from onebeat.audio.decode import load_audio
    from onebeat.errors import InputError
    from onebeat.inputs.microphone import hear_recording

    sr = 44100
    take = load_audio(args.take, sr=sr).y
    song = load_audio(song_path, sr=sr).y if song_path is not None else None
    player = (args.player or ["player 1"])[0]
    hits, start, heard = hear_recording(
        y=take,
        sr=sr,
        player=player,
        song=song,
        start_s=args.take_start,
        profile=_kit_profile(args.kit_profile),
        part=part,
    )
    if not hits:
        raise InputError(f"{args.take}: no drum strokes heard in the recording")
    strokes = len({h.time for h in hits})
    if heard and args.take_start is None:
        where = f"the song found in the recording (it starts {-start:+.3f} s into it)"
    elif heard:
        where = "the song taken out, placed by --take-start"
    else:
        where = "the song not heard in it: its time 0 taken as the song's start"
    return hits, f"{strokes} strokes; {where}"


def _cmd_kit(args: argparse.Namespace) -> int:
    import json

    from onebeat._io import atomic_write_text
    from onebeat.audio.decode import load_audio
    from onebeat.hearing import learn_kit
    from onebeat.kit import DrumPiece

    sr = 44100
    y = load_audio(args.recording, sr=sr).y
    pieces = [DrumPiece(p) for p in args.pieces.split(",")]
    profile = learn_kit(y=y, sr=sr, pieces=pieces, per_piece=args.per, name=args.name)
    atomic_write_text(args.out, json.dumps(profile.to_json(), separators=(",", ":")) + "\n")
    counts = {p: profile.labels.count(p) for p in pieces}
    print(f"{args.recording.name}: " + ", ".join(f"{p} {n}" for p, n in counts.items()))
    print(f"  saved    {args.out} (use it with --kit-profile)")
    return 0


def _cmd_sessions(args: argparse.Namespace) -> int:
    with _store(args) as store:
        infos = store.list(args.limit)
        if not infos:
            print(f"no sessions in {store.path} yet (onebeat score SONG --take FILE saves one)")
            return 0
        for info in infos:
            parts = [
                f"{p} {100 * float(info.summary[p]['accuracy']):.0f} %" if p in info.summary else p
                for p in info.players
            ]
            state = "" if info.finished else "  (interrupted)"
            print(f"{info.id[:8]}  {info.created[:16]}  {info.title}: {', '.join(parts)}{state}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from onebeat.session import write_session_json, write_session_midi

    if not (args.json or args.midi or args.audio or args.video):
        raise OnebeatError(
            "export: say what to write (--json FILE, --midi FILE, --audio FILE, --video FILE)"
        )
    with _store(args) as store:
        session = store.load(args.session)
    if args.json:
        write_session_json(session, args.json)
        print(f"  saved    {args.json} (the whole session, JSON)")
    if args.midi:
        write_session_midi(session, args.midi)
        print(f"  saved    {args.midi} (the chart and one track per player, MIDI)")
    if args.audio or args.video:
        from tqdm import tqdm

        from onebeat.insight.media import write_take_audio, write_take_video

        if args.audio:
            t0 = time.perf_counter()
            length = write_take_audio(session, args.audio, song=args.song)
            took = time.perf_counter() - t0
            print(
                f"  saved    {args.audio} (the song and the hits, {length:.0f} s; "
                f"{length / took:.0f}x real time)"
            )
        if args.video:
            bar = tqdm(total=100, desc="video", unit="%", disable=None, leave=False)

            def step(done: float) -> None:
                bar.update(round(100 * done) - bar.n)

            length = write_take_video(session, args.video, song=args.song, progress=step)
            bar.close()
            print(f"  saved    {args.video} (the note highway with the hits, {length:.0f} s, MP4)")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    import json

    from onebeat._io import atomic_write_text
    from onebeat.insight.render import write_card, write_html
    from onebeat.insight.report import build_report
    from onebeat.insight.stats import signed_ms

    with _store(args) as store:
        session = store.load(args.session)
        report = build_report(session, store=store)
    print(f"session {session.id[:8]}: {report.title} · {report.subtitle}")
    if report.pair is not None:
        for line in report.pair.sentences:
            print(f"  together {line}")
    for t in report.takes:
        acc = "–" if t.notes == 0 else f"{100 * t.accuracy:.0f} %"
        timing = (
            f"{signed_ms(t.offsets.mean_ms, 1)} ± {t.offsets.sd_ms:.1f} ms"
            if t.offsets.n
            else "no notes hit"
        )
        print(f"  {t.player:8} {acc}, {timing}")
        if bests := report.new_bests.get(t.player):
            print(f"           new personal best: {', '.join(bests)}")
        for tip in t.tips:
            print(f"           {tip}")
    if args.output:
        write_html(report, args.output)
        print(f"  saved    {args.output} (the report, HTML)")
    if args.card:
        write_card(report, args.card)
        print(f"  saved    {args.card} (the summary card, PNG)")
    if args.json:
        atomic_write_text(args.json, json.dumps(report.to_dict(), indent=1) + "\n")
        print(f"  saved    {args.json} (the figures, JSON)")
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from onebeat.session import replay, same_judgments

    with _store(args) as store:
        session = store.load(args.session)
    again = replay(session)
    print(f"session {session.id[:8]}: {session.song.title}, {len(session.hits)} hits")
    for name, st in again.summary().items():
        print(_format_stats(name, st))
    if not session.finished:
        print("  the take was interrupted: replayed to the end of the chart")
        return 0
    if same_judgments(again.judgments, session.judgments) and again.summary() == session.summary:
        print(f"  replay   identical: {len(again.judgments)} judgments and every stat")
        return 0
    print("  replay   DIFFERS from the saved judgments", file=sys.stderr)
    return 1


def _cmd_play(args: argparse.Namespace) -> int:
    import logging
    import threading
    import webbrowser

    import uvicorn

    from onebeat.library import Library
    from onebeat.play.protocol import MAX_FRAME_BYTES
    from onebeat.session import data_dir
    from onebeat.web import AppConfig, create_app, lan_address
    from onebeat.web.app import port_problem

    logging.basicConfig(level=logging.WARNING, format="onebeat: %(message)s")
    host = "0.0.0.0" if args.lan else "127.0.0.1"
    problem = port_problem(host, args.port)
    if problem is not None:
        raise OnebeatError(problem)
    config = AppConfig(
        data_dir=data_dir(),
        lan=args.lan,
        lan_host=lan_address() if args.lan else "",
        port=args.port,
        backend=args.backend,
    )
    library = Library(
        config.data_dir, backend=args.backend, kit_profile=_kit_profile(args.kit_profile)
    )
    fragment = ""
    if args.song is not None:
        entry = library.add_path(args.song)
        fragment = f"#{'learn' if getattr(args, 'learn', False) else 'song'}={entry.id}"
        print(f"{entry.title}: analysing in the background (the page shows the progress)")
    url = f"http://127.0.0.1:{args.port}/{fragment}"
    print(f"onebeat is playing at {url}  (Ctrl+C to stop)")
    if args.lan:
        print(
            f"  phones on this network join at http://{config.lan_host}:{args.port}/"
            f"?code={config.code}  (the page shows it as a QR code)"
        )
    if not args.no_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    app = create_app(config, library)
    try:
        uvicorn.run(
            app, host=host, port=args.port, log_level="warning", ws_max_size=MAX_FRAME_BYTES
        )
    finally:
        library.close()
    return 0


def _cmd_learn(args: argparse.Namespace) -> int:
    if not args.keyboard:  # the web app, opened on the lesson
        args.learn = True
        return _cmd_play(args)
    from onebeat.cli.terminal import TerminalKeys, open_playback, run_lesson
    from onebeat.library import Library
    from onebeat.play.lesson import LessonRoom
    from onebeat.play.protocol import LearnMsg, PlayerSpec
    from onebeat.session import data_dir

    if not args.song.is_file():
        raise OnebeatError(f"{args.song}: no such file")
    if not sys.stdin.isatty():
        raise OnebeatError(
            "learn --keyboard: reads keys from a terminal, and stdin is not one "
            "(without --keyboard the lesson opens in the browser)"
        )
    names = [args.player, *([args.partner] if args.partner else [])]
    if len(set(names)) != len(names):
        raise OnebeatError(f"learn: the two players need two names, not {names[0]!r} twice")
    library = Library(data_dir(), backend=args.backend, kit_profile=_kit_profile(args.kit_profile))
    try:
        entry = library.add_path(args.song)
        while entry.status not in ("ready", "failed"):
            print(
                f"\r{entry.title}: {entry.step or 'analysing'} {100 * entry.progress:3.0f} %",
                end="",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(0.2)
        print(file=sys.stderr)
        if entry.status == "failed":
            raise OnebeatError(entry.error)
        learn = LearnMsg(
            type="learn",
            song=entry.id,
            players=[
                PlayerSpec(name=n, offset_ms=args.offset_ms, experienced=n in (args.played or ()))
                for n in names
            ],
            windows=args.windows,
            restart=args.restart,
        )
        playback = open_playback(silent=args.silent)
        with _store(args) as store:
            room = LessonRoom(library, store)
            keys = TerminalKeys()
            with keys.raw():
                coached = run_lesson(
                    room,
                    learn,
                    title=entry.title,
                    audio=lambda speed: str(library.audio(entry.id, speed)),
                    playback=playback,
                    keys=keys,
                    out=sys.stdout,
                    max_passes=args.passes,
                    click=args.click,
                )
    finally:
        library.close()
    played = [c for c in coached if not c.get("stopped")]
    print(
        f"{len(played)} pass{'' if len(played) == 1 else 'es'} played; the next lesson on "
        "this song starts where you are."
    )
    return 0


def _cmd_backends(args: argparse.Namespace) -> int:
    from onebeat.analysis import BACKENDS, DEFAULT_BACKEND

    for name, info in BACKENDS.items():
        mark = " (default)" if name == DEFAULT_BACKEND else ""
        print(
            f"{name}{mark}: {info.description}\n    licence: {info.licence}; "
            f"package: {info.requires}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    from onebeat.analysis import BACKENDS, DEFAULT_BACKEND

    parser = argparse.ArgumentParser(
        prog="onebeat",
        description="Play drums along to real songs, alone or as a pair.",
        epilog=LICENCE_NOTE,
    )
    parser.add_argument("--version", action="version", version=f"onebeat {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", type=Path, help="session database (default: in the data folder)")

    def web_options(p: argparse.ArgumentParser) -> None:
        """The web app's options, for ``play`` and for ``learn`` (which opens it)."""
        p.add_argument("--port", type=int, default=8765, help="the web app's port (default 8765)")
        p.add_argument("--no-browser", action="store_true", help="do not open a browser")
        p.add_argument("--lan", action="store_true", help="let phones on the local network join")
        p.add_argument(
            "--backend", choices=sorted(BACKENDS), default=DEFAULT_BACKEND, help="beat tracker"
        )
        p.add_argument(
            "--kit-profile",
            type=Path,
            metavar="FILE",
            help="players on a microphone: their kit's profile from 'onebeat kit' "
            "(default: onebeat's own)",
        )

    def analysis_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--backend",
            choices=sorted(BACKENDS),
            default=DEFAULT_BACKEND,
            help=f"beat tracker (default: {DEFAULT_BACKEND}; its model is "
            "CC BY-NC-SA 4.0, non-commercial; 'librosa' has no model)",
        )
        p.add_argument(
            "--no-cache",
            action="store_true",
            help="analyse again even if this audio was analysed before",
        )
        p.add_argument(
            "--progress",
            action="store_true",
            help="show the progress bar even when stderr is not a terminal",
        )

    p = sub.add_parser(
        "analyze",
        aliases=["analyse"],
        epilog=LICENCE_NOTE,
        help="find beats, downbeats, meter and tempo curve of a song",
        description="Analyse a song (wav, flac, ogg, opus, mp3, m4a) and "
        "print its SongMap summary.",
    )
    p.add_argument("song", type=Path, help="audio file")
    p.add_argument("-o", "--output", type=Path, help="write the SongMap JSON here")
    p.add_argument("--json", action="store_true", help="print the SongMap JSON to stdout")
    p.add_argument(
        "--beats", type=Path, help="also write beats as 'time<TAB>position' lines (madmom .beats)"
    )
    analysis_options(p)
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser(
        "demo", epilog=LICENCE_NOTE, help="analyse the bundled demo song and compare with its truth"
    )
    analysis_options(p)
    p.set_defaults(func=_cmd_demo)

    from onebeat.chart import LEVEL_NAMES, LEVELS
    from onebeat.engine import PRESETS
    from onebeat.inputs import KIT_MAPS

    def chart_options(p: argparse.ArgumentParser) -> None:
        """Which chart of a song: the level written for audio, the difficulty read from
        a song folder."""
        p.add_argument(
            "--level",
            type=int,
            choices=LEVELS,
            default=2,
            help="level of the chart written for an audio file (default: 2)",
        )
        p.add_argument(
            "--difficulty",
            choices=["easy", "medium", "hard", "expert"],
            default="expert",
            help="difficulty to read from a song folder",
        )

    p = sub.add_parser(
        "chart",
        epilog=LICENCE_NOTE,
        help="write a drum chart at a level",
        description="Write a drum part for a song from its SongMap. Levels: "
        + "; ".join(f"{k} = {v}" for k, v in LEVEL_NAMES.items())
        + ".",
    )
    p.add_argument(
        "song",
        type=Path,
        help="audio file; or a Clone Hero / YARG song folder, or a General MIDI drum file, "
        "to read their chart",
    )
    p.add_argument(
        "--audio", type=Path, help="the song's audio, for a MIDI drum file (--render, --clonehero)"
    )
    chart_options(p)
    p.add_argument(
        "--render",
        type=Path,
        metavar="WAV",
        help="write the song with the chart played over it by a synthesised kit",
    )
    p.add_argument("--lint", action="store_true", help="list the linter's findings")
    p.add_argument(
        "--grid-only",
        action="store_true",
        help="with --clonehero and levels 1-3: skip the drum transcription "
        "(the song folder gets levels 2 and 3)",
    )
    p.add_argument("--midi", type=Path, help="write a General MIDI drum file here")
    p.add_argument("--tab", type=Path, help="write a text drum tab here ('-': print it)")
    p.add_argument(
        "--clonehero",
        type=Path,
        metavar="DIR",
        help="write a Clone Hero / YARG song folder (notes.mid, song.ini, song.ogg)",
    )
    analysis_options(p)
    p.set_defaults(func=_cmd_chart)

    p = sub.add_parser(
        "transcribe",
        epilog=LICENCE_NOTE,
        help="write what the drums play in a recording (a song, or your own take)",
        description="Transcribe the drums of a recording (a full song, or a drummer's own "
        "take) onto its beat grid: every stroke heard, nothing filled in.",
    )
    p.add_argument("song", type=Path, help="audio file")
    p.add_argument("--midi", type=Path, help="write a General MIDI drum file here")
    p.add_argument("--tab", type=Path, help="write a text drum tab here ('-': print it)")
    analysis_options(p)
    p.set_defaults(func=_cmd_transcribe)

    p = sub.add_parser(
        "score",
        epilog=LICENCE_NOTE,
        help="score a recorded take (e-kit MIDI, tapped times, or a recording of the kit) "
        "against a song's chart",
        description="Judge a recorded performance against the chart of a song and save "
        "the session. A MIDI or CSV take's time 0 is the start of the song; a recording "
        "is placed by hearing the song in it (or by --take-start).",
    )
    p.add_argument(
        "song",
        type=Path,
        metavar="SONG_OR_CHART",
        help="audio file (charted at --level), Clone Hero / YARG song folder, or "
        "General MIDI drum file",
    )
    p.add_argument(
        "--take",
        type=Path,
        required=True,
        help="the performance: a MIDI file recorded from an e-kit (one track per player), "
        "a CSV of 'time[,pad[,velocity[,player]]]' lines, or a recording of the kit "
        "(wav, mp3, m4a, ...; the song may be heard in it: it is found and taken out)",
    )
    p.add_argument(
        "--take-start",
        type=float,
        metavar="S",
        help="a recorded take: song time of its first sample [s] (default: found by "
        "hearing the song in it, else 0)",
    )
    p.add_argument(
        "--kit-profile",
        type=Path,
        metavar="FILE",
        help="a recorded take: the kit's profile from 'onebeat kit' (default: onebeat's own)",
    )
    chart_options(p)
    p.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    p.add_argument(
        "--player",
        action="append",
        metavar="NAME",
        help="the player's name (repeat: one per MIDI track)",
    )
    p.add_argument(
        "--kit",
        default="gm",
        choices=list(KIT_MAPS),
        help="how the e-kit's notes map to pads (default: gm)",
    )
    p.add_argument(
        "--windows",
        default="default",
        choices=list(PRESETS),
        help="hit windows: strict ±34/67/84 ms, default ±40/75/110, beginner ±40/90/150",
    )
    p.add_argument(
        "--offset-ms",
        type=float,
        default=0.0,
        help="latency of the recording: how late its hits are [ms] (from a calibration)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-save", action="store_true", help="do not save the session")
    db_option(p)
    analysis_options(p)
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser(
        "kit",
        help="learn an acoustic kit from a recording of each drum struck 8 times",
        description="Teach onebeat how your kit sounds to your microphone: record each "
        "drum struck 8 times, in the order of --pieces, with a pause between drums.",
    )
    p.add_argument("recording", type=Path, help="the recording (wav, m4a, mp3, ...)")
    p.add_argument("-o", "--out", type=Path, required=True, help="the profile to write (JSON)")
    p.add_argument(
        "--pieces",
        default="kick,snare,hihat_closed",
        help="the drums in the order struck (default: kick,snare,hihat_closed; also "
        "hihat_open, tom_high, tom_mid, tom_floor, crash, ride)",
    )
    p.add_argument("--per", type=int, default=8, help="strokes per drum (default 8)")
    p.add_argument("--name", default="my kit", help="the kit's name")
    p.set_defaults(func=_cmd_kit)

    p = sub.add_parser("sessions", help="list the saved sessions, newest first")
    p.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    db_option(p)
    p.set_defaults(func=_cmd_sessions)

    p = sub.add_parser(
        "export", help="write a saved session as JSON, MIDI, audio (the jam) or video"
    )
    p.add_argument("session", help=SESSION_HELP)
    p.add_argument("--json", type=Path, metavar="FILE", help="the whole session as JSON")
    p.add_argument(
        "--midi", type=Path, metavar="FILE", help="the chart and one track per player, MIDI"
    )
    p.add_argument(
        "--audio",
        type=Path,
        metavar="FILE",
        help="the song with each player's hits as drums, player 1 left, 2 right (.wav/.flac/.ogg)",
    )
    p.add_argument(
        "--video", type=Path, metavar="FILE", help="the note highway with both players' hits (.mp4)"
    )
    p.add_argument(
        "--song", type=Path, metavar="AUDIO", help="the song's audio, if it has moved since"
    )
    db_option(p)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "report", help="how a take went: timing, the pair, progress; HTML report and a card"
    )
    p.add_argument("session", nargs="?", default="latest", help=SESSION_HELP + " (default: latest)")
    p.add_argument(
        "--latest",
        dest="session",
        action="store_const",
        const="latest",
        help="the latest session (the default)",
    )
    p.add_argument("-o", "--output", type=Path, metavar="HTML", help="write the report (HTML)")
    p.add_argument("--card", type=Path, metavar="PNG", help="write the summary card (PNG)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the figures (JSON)")
    db_option(p)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "replay", help="judge a saved session again and check it gives the same result"
    )
    p.add_argument("session", help=SESSION_HELP)
    db_option(p)
    p.set_defaults(func=_cmd_replay)

    p = sub.add_parser(
        "play",
        epilog=LICENCE_NOTE,
        help="play along in the browser, one or two players (a local web app)",
        description="Start onebeat's web app on this machine and open it in the browser. "
        "It listens on localhost only, unless --lan lets phones on the local network join "
        "(with a join code).",
    )
    p.add_argument("song", type=Path, nargs="?", help="a song to add to the library and choose")
    web_options(p)
    p.set_defaults(func=_cmd_play)

    p = sub.add_parser(
        "learn",
        epilog=LICENCE_NOTE,
        help="a lesson on a song: the groove in layers, coached pass by pass",
        description="Learn to play a song's groove: the pulse, the hi-hat, the kick, the "
        "snare backbeat, the whole groove, then the song's own. Each step loops a few bars, "
        "slower at first and at the same pitch; after each pass the coach speeds up, slows "
        "down, goes back a layer or moves on, and says what to fix. Where each player is "
        "is kept for the next lesson on the song. Opens in the browser; --keyboard plays it "
        "in this terminal.",
    )
    p.add_argument("song", type=Path, help="the song (wav, flac, ogg, opus, mp3, m4a)")
    p.add_argument("--keyboard", action="store_true", help="in this terminal, with a text highway")
    p.add_argument("--player", default="you", help="your name (default 'you')")
    p.add_argument(
        "--with", dest="partner", metavar="NAME", help="a second player, on the other half"
    )
    p.add_argument(
        "--played",
        action="append",
        metavar="NAME",
        help="this player has played drums before: start with a pass of the whole groove",
    )
    p.add_argument("--restart", action="store_true", help="start the lesson from the first step")
    p.add_argument(
        "--windows",
        choices=["beginner", "default", "strict"],
        default="default",
        help="hit windows (default: default)",
    )
    p.add_argument(
        "--offset-ms",
        type=float,
        default=0.0,
        help="this keyboard's latency [ms] (a calibration in the web app measures it)",
    )
    p.add_argument("--passes", type=int, help="stop after this many passes")
    p.add_argument("--silent", action="store_true", help="no sound, even with a sound card")
    p.add_argument(
        "--click", action="store_true", help="a click on every beat, not only the count-in"
    )
    web_options(p)
    db_option(p)
    p.set_defaults(func=_cmd_learn)

    p = sub.add_parser("backends", help="list the beat-tracking backends and their licences")
    p.set_defaults(func=_cmd_backends)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``onebeat`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except OnebeatError as exc:
        print(f"onebeat: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("onebeat: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `onebeat ... | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
