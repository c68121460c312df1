"""Files that lie or are damaged, made here with ffmpeg: each is scored up to its break, or refused
with one line that names the real problem; pairs whose frames do not line up say so."""
import json
import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from vqinspect.__main__ import main
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.app.shared.errors import MediaError, PairingError
from tests.app.media.lying_clips import SIZE, ffmpeg, frames_of, h264

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from benchmarks import fuzz_mutations as mut  # noqa: E402


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    d = tmp_path_factory.mktemp("checks")
    h264(d / "ref.mp4", 30)
    # one frame (15) dropped: renumbered timestamps, and left as a 80 ms gap
    ffmpeg("-i", str(d / "ref.mp4"), "-vf", "select='not(eq(n\\,15))',setpts=N/25/TB", "-c:v", "libx264",
           "-crf", "18", str(d / "dropped.mp4"))
    ffmpeg("-i", str(d / "ref.mp4"), "-vf", "select='not(eq(n\\,15))'", "-fps_mode", "passthrough",
           "-c:v", "libx264", "-crf", "18", str(d / "gap.mkv"))
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={SIZE[0]}x{SIZE[1]}:rate=25", "-frames:v", "30", "-c:v", "libx264",
           "-bsf:v", "h264_mp4toannexb", "-f", "h264", str(d / "raw.h264"))
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={SIZE[0]}x{SIZE[1]}:rate=25", "-frames:v", "12", "-c:v", "libx265",
           "-x265-params", "log-level=none", "-f", "hevc", str(d / "raw.265"))
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={SIZE[0]}x{SIZE[1]}:rate=25", "-frames:v", "10",
           "-pix_fmt", "yuv420p", str(d / "clip.y4m"))
    return d


def test_a_dropped_frame_with_renumbered_timestamps_is_a_frame_count_warning(d, capsys):
    pair = make_pair(open_media(d / "ref.mp4"), open_media(d / "dropped.mp4"))
    lines = [w for w in pair.warnings if "frame counts differ" in w]
    assert len(lines) == 1 and "reference 30, distorted 29" in lines[0] and "--align auto" in lines[0]
    assert main(["score", str(d / "ref.mp4"), str(d / "dropped.mp4"), "--metrics", "psnr", "--quiet"]) == 0
    assert "frame counts differ" in capsys.readouterr().err


def test_a_dropped_frame_leaving_a_timestamp_gap_is_a_gap_not_a_rate_difference(d):
    gap = open_media(d / "gap.mkv")
    assert gap.info.fps == 25 and not gap.info.variable_frame_rate
    assert gap.info.as_dict()["timestamp_gaps"] == [[15, 1, 0.08]]
    pair = make_pair(open_media(d / "ref.mp4"), gap)  # no "frame rates differ"
    lines = [w for w in pair.warnings if "timestamps jump" in w]
    assert len(lines) == 1 and "before frame 15" in lines[0] and "80 ms" in lines[0] and "--align auto" in lines[0]


def test_a_real_rate_difference_is_still_refused_as_one(d, tmp_path):
    ffmpeg("-i", str(d / "ref.mp4"), "-r", "30", "-c:v", "libx264", str(tmp_path / "30.mp4"))
    with pytest.raises(PairingError, match="real rate difference, not a gap"):
        make_pair(open_media(d / "ref.mp4"), open_media(tmp_path / "30.mp4"))


def test_a_gap_in_a_numbered_png_sequence_is_reported(d, tmp_path):
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "6", "-start_number", "1",
           str(tmp_path / "f_%04d.png"))
    (tmp_path / "f_0003.png").unlink()
    seq = open_media(tmp_path / "f_%04d.png")
    assert seq.info.frame_count == 5 and seq.info.timestamp_gaps == ((2, 1, 0.04),)
    assert any("before frame 2" in w for w in make_pair(seq, open_media(tmp_path)).warnings)


def test_an_existing_file_named_with_percent_d_is_a_file(d, tmp_path):
    named = tmp_path / "50%dist.mp4"
    named.write_bytes((d / "ref.mp4").read_bytes())
    assert open_media(named).info.kind == "container"


@pytest.mark.parametrize("name,frames", [("raw.h264", 30), ("raw.265", 12)])
def test_elementary_streams_open_frame_accurately(d, name, frames):
    source = open_media(d / name)
    assert source.info.frame_count == frames
    oracle = frames_of(d / name, *SIZE)
    with source.reader() as reader:
        for i in (7, 2, frames - 1, 0, 3):  # out of order: each read decodes from the start
            np.testing.assert_array_equal(reader.frame(i)[0], oracle[i])


def test_a_y4m_cut_mid_frame_is_broken(d, tmp_path, capsys):
    data = (d / "clip.y4m").read_bytes()
    cut = tmp_path / "cut.y4m"
    cut.write_bytes(data[: len(data) * 6 // 10])
    assert "cut mid-frame" in open_media(cut).info.truncated
    out = tmp_path / "s.json"
    assert main(["score", str(d / "clip.y4m"), str(cut), "--metrics", "psnr", "--quiet", "--json", str(out)]) == 2
    assert json.loads(out.read_text())["status"] == "broken"


def test_a_resolution_change_mid_stream_scores_up_to_it_and_names_file_and_frame(d, tmp_path, capsys):
    for k, size in enumerate(("176x144", "352x288")):
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25", "-frames:v", "10", "-c:v", "libx264",
               "-f", "mpegts", "-output_ts_offset", str(k * 0.4), str(tmp_path / f"part{k}.ts"))
    switch = tmp_path / "switch.ts"
    switch.write_bytes((tmp_path / "part0.ts").read_bytes() + (tmp_path / "part1.ts").read_bytes())
    out = tmp_path / "s.json"
    status = main(["score", str(switch), str(switch), "--metrics", "psnr", "--quiet", "--json", str(out)])
    assert status == 2
    result = json.loads(out.read_text())
    assert result["status"] == "broken" and len(result["frames"]) == 10
    assert any("switch.ts" in p and "frame 10" in p and "176x144 to 352x288" in p for p in result["problems"])


def test_a_truncated_mkv_is_not_a_rate_difference(d, tmp_path):
    cut = tmp_path / "cut.mkv"
    ffmpeg("-i", str(d / "ref.mp4"), "-c", "copy", str(tmp_path / "whole.mkv"))
    data = (tmp_path / "whole.mkv").read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    clip = open_media(cut)
    assert clip.info.fps == 25
    make_pair(open_media(d / "ref.mp4"), clip)  # pairs: no "frame rates differ"


def test_forged_parameter_sets_are_refused_before_decoding_and_a_real_8k_clip_opens(d, tmp_path):
    for codec, name in (("h264", "raw.h264"), ("hevc", "raw.265")):
        for size in ((16000, 16000), (8192, 8192)):  # refused outright / by packets or a strict decode
            lie = tmp_path / f"{codec}_{size[0]}.mp4"
            elementary = tmp_path / f"lie_{name}"
            elementary.write_bytes(mut.annexb_with_size((d / name).read_bytes(), codec, *size))
            ffmpeg("-i", str(elementary), "-c", "copy", str(lie))
            with pytest.raises(MediaError, match=f"claims a {size[0]}x{size[1]} picture"):
                open_media(lie)
    # All black: 6.8 kB, about 0.4 bits a macroblock, the least a real 8K picture costs
    ffmpeg("-f", "lavfi", "-i", "color=black:size=7680x4320:rate=25", "-frames:v", "1", "-c:v", "libx264",
           "-preset", "superfast", "-pix_fmt", "yuv420p", str(tmp_path / "black8k.mp4"))
    assert open_media(tmp_path / "black8k.mp4").info.width == 7680


def _one_line(path, capsys) -> str:
    assert main(["score", str(path), str(path), "--metrics", "psnr", "--quiet"]) == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1
    return lines[0]


def test_messages_name_the_real_problem(d, tmp_path, capsys):
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)
    assert "FIFO" in _one_line(fifo, capsys)
    link = tmp_path / "random.mp4"
    link.symlink_to("/dev/urandom")
    assert "character device (/dev/urandom)" in _one_line(link, capsys)
    (tmp_path / "folder").mkdir()
    assert "is a directory with no images" in _one_line(tmp_path / "folder", capsys)
    w0 = tmp_path / "w0.y4m"
    w0.write_bytes(mut.y4m_with_size((d / "clip.y4m").read_bytes(), 0, 0))
    assert "invalid frame size (W0 H0)" in _one_line(w0, capsys)
    data = (d / "ref.mp4").read_bytes()
    moov = tmp_path / "moov.mp4"
    moov.write_bytes(data[: data.find(b"moov") + 64])
    assert "moov box" in _one_line(moov, capsys)
    stts = tmp_path / "stts.mp4"
    stts.write_bytes(mut.stts_lie(data))
    assert struct.unpack_from(">I", stts.read_bytes(), stts.read_bytes().find(b"stts") + 12)[0] == 2**31 - 1
    assert "claims 2147483647 frames" in open_media(stts).info.truncated
    assert main(["score", str(d / "ref.mp4"), str(stts), "--metrics", "psnr", "--quiet"]) == 2
    assert "frame rates differ" not in capsys.readouterr().err
