"""Left/right swap rate of the sample clips before and after repair (formcheck.cleaning.swaps).

For every sample clip the script prints a Markdown table row with:

- frames: frames in the clip (those where the runner was found, in brackets),
- before: share of the frames checked that the detector finds swapped, per group (arms, legs),
- after: the same share when the detector runs again on the repaired track (should be 0),
- jump: mean and 95th percentile frame-to-frame movement (pixels) of the left and right ankles and
  wrists, over consecutive frames where the landmark is found, before -> after repair. A repaired
  swap removes two jumps across the body (into the swapped frames and out of them).

Landmarks come from saved raw tracks (``--saved DIR``: ``DIR/<clip stem>/track_raw.csv`` + ``.json``,
as in an output folder of ``formcheck analyze``) or, without ``--saved``, from running the pose
model (default settings) on every ``.mp4`` in the clip folder: minutes per clip on a small machine.

Usage: ``.venv/bin/python benchmarks/swap_rates.py [--clips DIR] [--saved DIR]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from formcheck.body.landmarks import POSE_INDEX
from formcheck.cleaning.swaps import SWAP_GROUPS, find_swaps, repair_swaps
from formcheck.pose.track import Track

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CLIPS = REPO.parent / "shared" / "sample_videos"
JUMP_LANDMARKS = ("left_ankle", "right_ankle", "left_wrist", "right_wrist")


def raw_track(clip: Path, saved: Path | None) -> Track:
    """The clip's raw landmarks: loaded from ``saved/<stem>/track_raw`` or found by the pose model."""
    if saved is not None:
        return Track.load(saved / clip.stem / "track_raw")
    from formcheck.pipeline import run_pose  # MediaPipe: only when inference is needed

    return run_pose(clip).track


def jumps_px(track: Track) -> np.ndarray:
    """Frame-to-frame movement (pixels) of the :data:`JUMP_LANDMARKS`, all landmarks pooled; only
    consecutive frames where the landmark is found count."""
    moves = np.linalg.norm(np.diff(track.xy[:, [POSE_INDEX[n] for n in JUMP_LANDMARKS]], axis=0), axis=-1)
    return moves[np.isfinite(moves)]


def row(name: str, track: Track) -> str:
    """One Markdown table row for a clip."""
    repaired, before = repair_swaps(track)
    after = find_swaps(repaired)
    rates = [f"{before.summary()[g]['share']:.1%} ({before.swapped[g].sum()})" for g in SWAP_GROUPS]
    rates += [f"{after.summary()[g]['share']:.1%}" for g in SWAP_GROUPS]
    jump_before, jump_after = jumps_px(track), jumps_px(repaired)
    mean = f"{jump_before.mean():.1f} -> {jump_after.mean():.1f}"
    p95 = f"{np.percentile(jump_before, 95):.1f} -> {np.percentile(jump_after, 95):.1f}"
    return f"| {name} | {len(track)} ({track.found.sum()}) | " + " | ".join(rates) + f" | {mean} | {p95} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, default=DEFAULT_CLIPS, help="folder of .mp4 clips")
    parser.add_argument("--saved", type=Path, help="folder of saved analyses, one <clip stem>/ per clip")
    args = parser.parse_args()
    clips = sorted(args.clips.glob("*.mp4"))
    if not clips:
        raise SystemExit(f"{args.clips}: no .mp4 clips")
    groups = list(SWAP_GROUPS)
    print("| clip | frames (found) | " + " | ".join(f"{g} before" for g in groups) + " | "
          + " | ".join(f"{g} after" for g in groups) + " | jump mean px | jump p95 px |")
    print("|---" * (2 + 2 * len(groups) + 2) + "|")
    for clip in clips:
        print(row(clip.stem, raw_track(clip, args.saved)), flush=True)


if __name__ == "__main__":
    main()
