"""``make fuzz``: a mutation campaign against the media layer and the CLI.

Seed clips of every container and image format vqinspect reads are made with FFmpeg, then
mutated (byte flips, truncations, zeroed and duplicated ranges, swapped boxes, lying size
and sample-count headers); odd inputs (0-byte file, directory, fifo, 1x1, 2 frames, 17x9,
unicode and newline in the path, a symlink to /dev/urandom, a name with ``%d``) run once
each. Each input is scored (and, every few inputs, snapshotted and reported) in a fresh
``vqinspect`` process with a time limit and a memory watchdog. Every outcome is classified:

  scored, clean rejection (exit 2 and one ``vqinspect:`` line), broken stream (scored up to
  a break, exit 2, JSON status "broken"), traceback, signal, hang, memory (over the
  watchdog's limit), invalid JSON.

Counts and the peak RSS of any run are printed; inputs that failed (traceback, signal, hang,
memory, invalid JSON) are kept in tests/fuzz_corpus/ when small, and replayed by
tests/app/test_fuzz_corpus.py.

    python benchmarks/fuzz.py --inputs 2000 --jobs 2
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import fuzz_mutations as mut  # noqa: E402  (run as a script)

SEEDS = ROOT / "benchmarks" / "_media" / "fuzz_seeds"
CORPUS = ROOT / "tests" / "fuzz_corpus"
CORPUS_MAX_BYTES = 64 * 1024
CORPUS_MAX_FILES = 60   # the suite replays every one: keep it small
FAILURES = ("traceback", "signal", "hang", "memory", "invalid JSON")
OUTCOMES = ("scored", "clean rejection", "broken stream") + FAILURES + ("compile timeout",)
COMPILING = "compiling metric kernels on first use (once; cached for later runs)..."
"""A run killed while numba compiles the kernels (their cache was invalidated by an edit of the
metrics meanwhile) says nothing about its input: counted apart, as a compile timeout."""
VQ = [sys.executable, "-m", "vqinspect"]


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _ff(*args: str) -> None:
    subprocess.run([ffmpeg(), "-v", "error", "-y", *args], check=True, stdin=subprocess.DEVNULL,
                   env=dict(os.environ, SVT_LOG="1"))


SRC = ["-f", "lavfi", "-i", "testsrc2=size=176x144:rate=25"]
X265 = ["-x265-params", "log-level=none"]
# name: (ffmpeg output arguments, extra vqinspect input arguments)
SEED_SPECS = {
    "h264.mp4": (["-frames:v", "12", "-c:v", "libx264", "-g", "6", "-bf", "2", "-pix_fmt", "yuv420p"], []),
    "hevc.mp4": (["-frames:v", "12", "-c:v", "libx265", *X265, "-pix_fmt", "yuv420p", "-tag:v", "hvc1"], []),
    "vp9.webm": (["-frames:v", "12", "-c:v", "libvpx-vp9", "-g", "6", "-pix_fmt", "yuv420p"], []),
    "av1.mkv": (["-frames:v", "8", "-c:v", "libsvtav1", "-pix_fmt", "yuv420p"], []),
    "vp8.ivf": (["-frames:v", "12", "-c:v", "libvpx", "-g", "6"], []),
    "ffv1.mkv": (["-frames:v", "12", "-c:v", "ffv1", "-pix_fmt", "yuv422p10le"], []),
    "prores.mov": (["-frames:v", "6", "-c:v", "prores_ks", "-pix_fmt", "yuv422p10le"], []),
    "mpeg2.ts": (["-frames:v", "12", "-c:v", "mpeg2video", "-g", "6"], []),
    "mjpeg.avi": (["-frames:v", "8", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p"], []),
    "clip.y4m": (["-frames:v", "8", "-pix_fmt", "yuv420p"], []),
    "elementary.h264": (["-frames:v", "12", "-c:v", "libx264", "-g", "6", "-pix_fmt", "yuv420p"], []),
    "elementary.265": (["-frames:v", "12", "-c:v", "libx265", *X265, "-pix_fmt", "yuv420p"], []),
    "raw.yuv": (["-frames:v", "6", "-pix_fmt", "yuv420p", "-f", "rawvideo"],
                ["--size", "176x144", "--pix-fmt", "yuv420p"]),
    "still.png": (["-frames:v", "1"], []),
    "still.jpg": (["-frames:v", "1"], []),
    "still.tiff": (["-frames:v", "1"], []),
    "still.bmp": (["-frames:v", "1"], []),
    "still.dpx": (["-frames:v", "1"], []),
    "still.exr": (["-frames:v", "1", "-pix_fmt", "gbrpf32le"], []),
}
SEQUENCE = "png_seq"   # a folder img_%03d.png of 6 frames; mutants change one image


def make_seeds() -> dict[str, Path]:
    SEEDS.mkdir(parents=True, exist_ok=True)
    seeds = {}
    for name, (args, _) in SEED_SPECS.items():
        path = SEEDS / name
        if not path.exists():
            _ff(*SRC, *args, str(path))
        seeds[name] = path
    folder = SEEDS / SEQUENCE
    if not (folder / "img_005.png").exists():
        folder.mkdir(exist_ok=True)
        _ff(*SRC, "-frames:v", "6", str(folder / "img_%03d.png"))
    seeds[SEQUENCE] = folder / "img_%03d.png"
    return seeds


def extra_args(name: str) -> list[str]:
    return SEED_SPECS.get(name, ([], []))[1]


# ------------------------------------------------------------------ inputs

def mutate(name: str, path: Path, rng: random.Random, out_dir: Path) -> tuple[Path, str]:
    """A mutant of seed ``name`` written under ``out_dir``; returns (path given to vqinspect, what)."""
    if name == SEQUENCE:
        folder = out_dir / "seq"
        shutil.copytree(path.parent, folder)
        files = sorted(folder.iterdir())
        victim = rng.choice(files)
        if rng.random() < 0.15:
            victim.unlink()
            return folder / path.name, f"sequence without {victim.name}"
        target, what = _mutate_bytes(victim.read_bytes(), name, rng)
        victim.write_bytes(target)
        return folder / path.name, f"sequence, {victim.name} {what}"
    data = path.read_bytes()
    out = out_dir / f"mutant{path.suffix}"
    target, what = _mutate_bytes(data, name, rng)
    out.write_bytes(target)
    return out, what


def _mutate_bytes(data: bytes, name: str, rng: random.Random) -> tuple[bytes, str]:
    lie = _lie(data, name, rng) if rng.random() < 0.12 else None
    if lie is not None:
        return lie
    kind = rng.choice(list(mut.GENERIC))
    result = data
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        result = mut.GENERIC[kind](result, rng) if result else result
    return result, kind


def _lie(data: bytes, name: str, rng: random.Random) -> tuple[bytes, str] | None:
    size = rng.choice(((16000, 16000), (8192, 8192), (4096, 2160), (64, 48)))
    try:
        if name in ("elementary.h264", "elementary.265"):
            codec = "h264" if name.endswith("h264") else "hevc"
            return mut.annexb_with_size(data, codec, *size), f"SPS claims {size[0]}x{size[1]}"
        if name == "clip.y4m":
            w, h = rng.choice((size, (0, 0), (1, 1)))
            return mut.y4m_with_size(data, w, h), f"y4m header claims {w}x{h}"
        if name.endswith((".mp4", ".mov")):
            return mut.stts_lie(data, rng.choice((2**31 - 1, 1000, 3))), "stts lie"
    except (ValueError, IndexError):
        return None
    return None


def sps_lie_mp4(seed: Path, codec: str, size: tuple[int, int], out: Path) -> Path:
    """An mp4 whose avcC/hvcC parameter sets claim ``size``: the elementary stream's SPS is
    rewritten, then remuxed (FFmpeg builds the sample entry from it)."""
    elementary = out.with_suffix(".h264" if codec == "h264" else ".265")
    elementary.write_bytes(mut.annexb_with_size(seed.read_bytes(), codec, *size))
    _ff("-i", str(elementary), "-c", "copy", str(out))
    elementary.unlink()
    return out


def odd_inputs(seeds: dict[str, Path], work: Path) -> list[tuple[str, Path, list[str]]]:
    """(description, path, extra args) of the odd cases, made fresh under ``work``."""
    odd = work / "odd"
    odd.mkdir(parents=True, exist_ok=True)
    cases = []
    (odd / "empty.mp4").write_bytes(b"")
    cases.append(("0-byte file", odd / "empty.mp4", []))
    (odd / "folder").mkdir(exist_ok=True)
    cases.append(("directory without images", odd / "folder", []))
    fifo = odd / "pipe.mp4"
    if not fifo.exists():
        os.mkfifo(fifo)
    cases.append(("fifo", fifo, []))
    link = odd / "random.mp4"
    if not link.is_symlink():
        link.symlink_to("/dev/urandom")
    cases.append(("symlink to /dev/urandom", link, []))
    for label, size, frames in (("1x1", "1x1", 3), ("2 frames", "176x144", 2), ("17x9", "17x9", 5)):
        path = odd / f"{label.replace(' ', '_')}.mkv"
        _ff(*SRC, "-vf", f"scale={size.replace('x', ':')}", "-frames:v", str(frames), "-c:v", "ffv1",
            "-pix_fmt", "yuv420p", str(path))
        cases.append((label, path, []))
    for label, name in (("unicode path", "ĉlip ✓ 視.mp4"), ("newline in path", "two\nlines.mp4"),
                        ("%d in a file name", "50%dist.mp4")):
        path = odd / name
        shutil.copy(seeds["h264.mp4"], path)
        cases.append((label, path, []))
    for codec, seed in (("h264", "elementary.h264"), ("hevc", "elementary.265")):
        for size in ((16000, 16000), (8192, 8192)):
            path = odd / f"lie_{codec}_{size[0]}.mp4"
            sps_lie_mp4(seeds[seed], codec, size, path)
            cases.append((f"{codec} SPS claims {size[0]}x{size[1]}", path, []))
    cases.append(("y4m W0 H0", _write(odd / "w0h0.y4m", mut.y4m_with_size(seeds["clip.y4m"].read_bytes(), 0, 0)), []))
    data = seeds["h264.mp4"].read_bytes()
    moov = data.find(b"moov")
    cases.append(("mp4 with moov cut", _write(odd / "moov_cut.mp4", data[:moov + 64]), []))
    cases.append(("stts claims 2^31-1", _write(odd / "stts.mp4", mut.stts_lie(data)), []))
    y4m = seeds["clip.y4m"].read_bytes()
    cases.append(("y4m cut mid-frame", _write(odd / "cut.y4m", y4m[: len(y4m) * 5 // 8]), []))
    return cases


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------ running

def command_line(command: str, ref: Path, dist: Path, out: Path, extra: list[str], vmaf: bool) -> list[str]:
    metrics = "psnr,ssim,vmaf" if vmaf else "psnr,ssim"
    if command == "score":
        return [*VQ, "score", str(ref), str(dist), "--metrics", metrics, "--quiet", "--json",
                str(out / "out.json"), *extra]
    if command == "snapshot":
        return [*VQ, "snapshot", str(ref), str(dist), "--metrics", "psnr", "--window-size", "640x400",
                "--out", str(out / "snap.png"), *extra]
    return [*VQ, "report", str(ref), str(dist), "--metrics", "psnr", "--no-cache", "--quiet", "--worst", "2",
            "-o", str(out / "report.html"), *extra]


def run_one(argv: list[str], out: Path, timeout: float, memory_mb: int) -> dict:
    """Run ``argv`` in a fresh process; its outcome, exit status, seconds, peak RSS (MB) and stderr."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", VQINSPECT_CACHE=str(out / "cache"))
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(out / "stderr", "wb"),
                            stdin=subprocess.DEVNULL, env=env, start_new_session=True, cwd=out)
    killed, rusage, status = None, None, None
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - t0 > timeout:
            killed = "hang"
        elif _rss_mb(proc.pid) > memory_mb:
            killed = "memory"
        if killed:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, rusage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - t0
    stderr = (out / "stderr").read_bytes().decode(errors="replace")
    outcome = killed or classify(proc.returncode, stderr, argv, out)
    if outcome == "hang" and stderr.strip().endswith(COMPILING):
        outcome = "compile timeout"
    return {"outcome": outcome, "status": proc.returncode, "seconds": round(seconds, 2),
            "rss_mb": round(rusage.ru_maxrss / 1024), "stderr": stderr[-2000:]}


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def classify(status: int, stderr: str, argv: list[str], out: Path) -> str:
    if status < 0:
        return "signal"
    if "Traceback (most recent call last)" in stderr or status not in (0, 2):
        return "traceback"
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    json_path = out / "out.json"
    if "score" in argv and json_path.exists():
        try:
            result = json.loads(json_path.read_text())
        except ValueError:
            return "invalid JSON"
        if result.get("status") == "broken":
            return "broken stream"
    if status == 0:
        return "scored"
    if any("scored" in ln and "before the problem" in ln for ln in lines):
        return "broken stream"
    if len([ln for ln in lines if ln.startswith("vqinspect:")]) >= 1:
        return "clean rejection"
    return "traceback"


def keep(path: Path, record: dict) -> str | None:
    """Copy a failing input into the corpus (small files only); its name, or None."""
    files = sorted(path.parent.iterdir()) if "%" in path.name else [path]
    if not path.exists() and "%" not in path.name or path.is_dir() or len(list(CORPUS.glob("*.json"))) >= CORPUS_MAX_FILES:
        return None
    if sum(f.stat().st_size for f in files if f.is_file()) > CORPUS_MAX_BYTES:
        return None
    CORPUS.mkdir(parents=True, exist_ok=True)
    stem = f"{record['outcome'].replace(' ', '_')}_{record['id']:05d}"
    if "%" in path.name:
        folder = CORPUS / stem
        folder.mkdir(exist_ok=True)
        for f in files:
            shutil.copy(f, folder / f.name)
        name = f"{stem}/{path.name}"
    else:
        name = stem + path.suffix
        shutil.copy(path, CORPUS / name)
    meta = {k: record[k] for k in ("seed", "mutation", "command", "role", "outcome", "extra")}
    (CORPUS / f"{stem}.json").write_text(json.dumps({"input": name, **meta}, indent=1) + "\n")
    return name


def campaign(args) -> int:
    seeds = make_seeds()
    rng = random.Random(args.seed)  # roles and commands; each mutant has a generator of its own
    work = Path(tempfile.mkdtemp(prefix="vq-fuzz-"))
    counts: collections.Counter = collections.Counter()
    by_command: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    peak = (0, "")
    failures = []
    jobs = []
    for desc, path, extra in odd_inputs(seeds, work):
        for command in ("score", "snapshot", "report"):
            jobs.append({"seed": "h264.mp4", "mutation": desc, "path": path, "extra": extra,
                         "command": command, "role": "distorted"})
    names = list(seeds)
    for k in range(args.inputs):
        name = names[k % len(names)]
        command = "score"
        if k % args.other_every == 1:
            command = "snapshot"
        elif k % args.other_every == 2:
            command = "report"
        jobs.append({"seed": name, "mutation": None, "path": None, "extra": extra_args(name), "command": command,
                     "role": "distorted" if rng.random() < 0.6 else "reference", "vmaf": rng.random() < 0.2})
    warm = work / "warm"  # compile the kernels once, so that no run counts their compile time
    warm.mkdir()
    run_one(command_line("score", seeds["h264.mp4"], seeds["h264.mp4"], warm, [], True), warm, 600, args.memory_mb)
    t0 = time.monotonic()
    lock = threading.Lock()

    def run_job(i: int) -> None:
        nonlocal peak
        job = jobs[i]
        job["id"] = i
        out = work / f"run{i}"
        out.mkdir()
        if job["path"] is None:  # each mutant from its own generator: the same whatever the order
            job["path"], job["mutation"] = mutate(job["seed"], seeds[job["seed"]], random.Random(args.seed * 10**6 + i),
                                                  out)
        seed = seeds[job["seed"]]
        ref, dist = (seed, job["path"]) if job["role"] == "distorted" else (job["path"], seed)
        argv = command_line(job["command"], ref, dist, out, job["extra"], job.get("vmaf", False))
        result = run_one(argv, out, args.timeout, args.memory_mb)
        job.update(result)
        with lock:
            counts[result["outcome"]] += 1
            by_command[job["command"]][result["outcome"]] += 1
            if result["rss_mb"] > peak[0]:
                peak = (result["rss_mb"], f"{job['command']} {job['seed']} {job['mutation']}")
            if result["outcome"] in FAILURES:
                job["kept"] = keep(Path(job["path"]), job) if args.keep else None
                failures.append(job)
                last = result["stderr"].strip().splitlines()[-1:] or [""]
                print(f"[{i}] {result['outcome']}: {job['command']} {job['seed']} ({job['mutation']}) "
                      f"-> {last[0][:160]!r}", flush=True)
            done = sum(counts.values())
            if done % 100 == 0:
                print(f"... {done}/{len(jobs)} runs, {time.monotonic() - t0:.0f} s: {dict(counts)}, "
                      f"peak RSS {peak[0]} MB", flush=True)
        if not args.keep_work:
            shutil.rmtree(out, ignore_errors=True)

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(run_job, range(len(jobs))))
    print(f"\n{len(jobs)} runs ({args.inputs} mutants + odd cases x 3 commands), "
          f"{time.monotonic() - t0:.0f} s")
    for outcome in OUTCOMES:
        print(f"  {outcome:16s} {counts[outcome]:6d}   " +
              "  ".join(f"{c} {by_command[c][outcome]}" for c in ("score", "snapshot", "report")))
    print(f"peak RSS of any run: {peak[0]} MB ({peak[1]})")
    if args.log:
        Path(args.log).write_text(json.dumps({"counts": dict(counts), "peak_rss_mb": peak[0],
                                              "failures": [{k: str(v) for k, v in f.items()} for f in failures]},
                                             indent=1))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if any(counts[f] for f in FAILURES) else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--inputs", type=int, default=300, help="mutants to run (default 300)")
    p.add_argument("--seed", type=int, default=19, help="random seed")
    p.add_argument("--jobs", type=int, default=1, help="runs at once (default 1)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds before a run counts as a hang")
    p.add_argument("--memory-mb", type=int, default=3000, help="RSS at which a run is killed and counted")
    p.add_argument("--other-every", type=int, default=6,
                   help="every Nth mutant runs snapshot, the next report (the rest: score)")
    p.add_argument("--no-keep", dest="keep", action="store_false", help="do not add failures to the corpus")
    p.add_argument("--keep-work", action="store_true", help="keep the run folders (debugging)")
    p.add_argument("--log", metavar="PATH", help="write counts and failures as JSON")
    return campaign(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
