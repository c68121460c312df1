"""Display transforms on real files: rotation (display matrix), sample aspect ratio, field order and
deinterlacing, checked against the ffmpeg binary doing the same (autorotate, bwdif)."""
import json

import numpy as np
import pytest

from vqinspect.__main__ import main
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.pairing import make_pair
from tests.app.media.lying_clips import SIZE, ffmpeg, frames_of, h264, interlaced_h264


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("transforms")
    upright = h264(d / "upright.mp4")
    ffmpeg("-display_rotation", "90", "-i", str(upright), "-c", "copy", str(d / "tagged90.mp4"))
    ffmpeg("-display_rotation", "-90", "-i", str(upright), "-c", "copy", str(d / "tagged270.mp4"))
    # the encode a phone pipeline makes of a tagged clip: physically turned, no tag
    ffmpeg("-i", str(d / "tagged90.mp4"), "-c:v", "libx264", "-crf", "18", str(d / "turned.mp4"))
    interlaced_h264(d / "tff.mp4")
    ffmpeg("-i", str(upright), "-vf", "scale=176:100,setsar=1", "-c:v", "libx264", str(d / "wide.mp4"))
    ffmpeg("-i", str(upright), "-vf", "setsar=12/11", "-c:v", "libx264", str(d / "anamorphic.mp4"))
    return d


@pytest.mark.parametrize("name", ["tagged90.mp4", "tagged270.mp4"])
def test_rotation_is_probed_and_frames_come_upright_as_ffmpeg_shows_them(clips, name):
    source = open_media(clips / name)
    info = source.info.as_dict()
    assert info["rotation"] == (90 if name == "tagged90.mp4" else 270)
    assert (info["width"], info["height"], info["stored_size"]) == (SIZE[1], SIZE[0], f"{SIZE[0]}x{SIZE[1]}")
    assert json.loads(json.dumps(info))["rotation"] == info["rotation"]
    oracle = frames_of(clips / name, SIZE[1], SIZE[0])  # ffmpeg autorotates by default
    with source.reader() as reader:
        ours = np.stack([reader.frame(i)[0] for i in range(source.info.frame_count)])
    np.testing.assert_array_equal(ours, oracle)


def test_a_rotated_clip_scores_against_its_turned_encode_and_says_so(clips, tmp_path, capsys):
    out = tmp_path / "scores.json"
    status = main(["score", str(clips / "tagged90.mp4"), str(clips / "turned.mp4"), "--metrics", "psnr",
                   "--quiet", "--json", str(out)])
    assert status == 0
    result = json.loads(out.read_text())
    assert result["reference"]["rotation"] == 90
    assert result["alignment"]["scaled"] is False
    assert any("rotated 90°" in note for note in result["alignment"]["notes"])
    assert "rotated 90°" in capsys.readouterr().err
    assert min(row["psnr_y"] for row in result["frames"]) > 40  # the same picture, not a stretched one


def test_aspect_mismatch_after_rotation_is_one_warning_line(clips):
    pair = make_pair(open_media(clips / "upright.mp4"), open_media(clips / "wide.mp4"))
    assert len([w for w in pair.warnings if "aspect ratios differ" in w]) == 1
    assert "1.222:1" in pair.warnings[0] and "1.760:1" in pair.warnings[0]
    anamorphic = open_media(clips / "anamorphic.mp4")
    assert anamorphic.info.sample_aspect_ratio == "12:11"
    assert any("aspect ratios differ" in w for w in make_pair(open_media(clips / "upright.mp4"), anamorphic).warnings)
    turned = make_pair(open_media(clips / "tagged90.mp4"), open_media(clips / "turned.mp4"))
    assert not any("aspect" in w for w in turned.warnings)


def test_field_order_is_probed_and_scoring_an_interlaced_clip_says_so(clips, capsys):
    assert open_media(clips / "tff.mp4").info.as_dict()["field_order"] == "tff"
    assert open_media(clips / "upright.mp4").info.field_order == "progressive"
    status = main(["score", str(clips / "upright.mp4"), str(clips / "tff.mp4"), "--metrics", "psnr", "--quiet",
                   "--frames", "0:8"])
    assert status == 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "interlaced" in ln]
    assert len(lines) == 1 and "tff.mp4" in lines[0] and "--deinterlace" in lines[0]


def test_deinterlace_is_ffmpegs_bwdif_in_order_and_after_a_jump(clips):
    source = open_media(clips / "tff.mp4")
    oracle = frames_of(clips / "tff.mp4", *SIZE, "bwdif=mode=send_frame:parity=auto:deint=all")
    pair = make_pair(source, source, deinterlace=True)
    assert any("bwdif" in note for note in pair.notes)
    with pair.reference.reader() as reader:
        in_order = [reader.frame(i)[0].copy() for i in range(source.info.frame_count)]
    with pair.reference.reader() as reader:
        jumped = {i: reader.frame(i)[0].copy() for i in (5, 2, 7, 0)}
    # The binary's libavfilter (12) fills line 1 of the first frame, which has no previous
    # frame, differently from PyAV's (11); every other line and frame is the same.
    first = np.ones(oracle.shape[1], bool)
    first[1] = False
    np.testing.assert_array_equal(in_order[0][first], oracle[0][first])
    np.testing.assert_array_equal(np.stack(in_order[1:]), oracle[1:])
    for i, plane in jumped.items():
        np.testing.assert_array_equal(plane, in_order[i])
    with source.reader() as plain:  # the option changes the pictures, and only when asked
        assert not np.array_equal(plain.frame(3)[0], oracle[3])
