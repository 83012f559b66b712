"""A folder's songs as Ray tasks (issue 30): the same results as the process pool, written
into the asking machine's cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from onebeat.batch import analyze_batch, audio_files
from tests.conftest import song_folder

ray = pytest.importorskip("ray", reason="Ray is the optional onebeat[ray]; not installed here")


def test_ray_tasks_give_the_process_pools_results_in_this_machines_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from onebeat.analysis import analyze, analyze_drums

    folder = song_folder(tmp_path / "music", {"a.wav": 100.0, "b.flac": 128.0})
    songs = audio_files([folder])

    # the workers keep their own cache (another machine's): what they make must come back
    monkeypatch.setenv("ONEBEAT_CACHE_DIR", str(tmp_path / "here"))
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"ONEBEAT_CACHE_DIR": str(tmp_path / "worker")}},
    )
    try:
        said: list[str] = []
        on_ray = analyze_batch(
            songs, backend="madmom", engine="ray", on_done=lambda d: said.append(d.path.name)
        )
    finally:
        ray.shutdown()
    assert sorted(said) == sorted(p.name for p in songs)  # each as it came
    assert [r.ok for r in on_ray] == [s.name != "broken.mp3" for s in songs]
    assert "broken.mp3" in next(r.said for r in on_ray if not r.ok)
    assert len(list((tmp_path / "here").rglob("*.json"))) == 2  # here, not only there
    assert len(list((tmp_path / "here").rglob("*.npz"))) == 2
    ray_maps = {p: analyze(p) for p in songs if p.suffix != ".mp3"}  # read from "here"
    ray_drums = {p: analyze_drums(p).onsets.activations for p in ray_maps}

    monkeypatch.setenv("ONEBEAT_CACHE_DIR", str(tmp_path / "pool"))
    pool = analyze_batch(songs, backend="madmom", jobs=2)
    assert [(r.ok, r.said) for r in pool] == [(r.ok, r.said) for r in on_ray]
    for p, sm in ray_maps.items():
        again = analyze(p)
        np.testing.assert_array_equal(again.beats, sm.beats)
        np.testing.assert_array_equal(again.beat_positions, sm.beat_positions)
        np.testing.assert_array_equal(analyze_drums(p).onsets.activations, ray_drums[p])
