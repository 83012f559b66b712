"""A writer killed mid-session loses nothing it said was saved, and the file opens cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from onebeat.session import SessionStore, replay
from tests.conftest import ROOT

WRITER = textwrap.dedent(
    """
    import sys
    import time
    import numpy as np
    from onebeat.chart import Chart, Note
    from onebeat.engine import Hit, JudgeSettings
    from onebeat.kit import DrumPiece
    from onebeat.session import PlayerInfo, Recorder, Session, SessionStore, SongRef

    beats = np.arange(0.0, 600.0, 0.5)
    notes = tuple(Note(float(t), float(i), DrumPiece.SNARE) for i, t in enumerate(beats[:-1]))
    chart = Chart(notes, beats, np.arange(len(beats)) % 4 + 1, 4, title="endless")
    session = Session(chart=chart, settings=JudgeSettings(), players=[PlayerInfo("ana")],
                      song=SongRef("endless"))
    rec = Recorder(session, SessionStore(sys.argv[1]))
    print(session.id, flush=True)
    k = said = 0
    while True:  # play until killed; a hit is announced once the recorder says it is saved
        t = 0.5 * k + 0.004
        rec.hit(Hit("ana", t, DrumPiece.SNARE, 90), raw=f"note 38 #{k}")
        rec.update(t)
        k += 1
        while said < rec.saved_hits:
            print(said, flush=True)
            said += 1
        time.sleep(0.0005)  # a player's pace, not a busy loop that starves the recorder
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
def test_sigkill_mid_session_keeps_every_committed_hit(tmp_path: Path) -> None:
    db = tmp_path / "sessions.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    session_id = proc.stdout.readline().strip()
    last = -1
    for line in proc.stdout:
        last = int(line)
        if last >= 300:
            break
    os.kill(proc.pid, signal.SIGKILL)  # no chance to close, flush or checkpoint
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    proc.stdout.close()

    with SessionStore(db) as store:
        assert store.integrity_ok()
        n = store.count_hits(session_id)
        assert n >= last + 1  # every announced hit was committed before it was announced
        session = store.load(session_id[:8])
    assert not session.finished
    assert [r.seq for r in session.hits] == list(range(n))
    assert session.hits[last].raw == f"note 38 #{last}"
    # the judgments that were committed agree with a replay of the committed hits
    judged = [j for j in session.judgments if j.grade is not None]
    assert len(judged) >= last
    assert replay(session).stats["ana"].perfect == n
