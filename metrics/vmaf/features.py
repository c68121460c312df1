"""The elementary VMAF features of one frame pair: VIF, ADM and motion from native-depth luma."""
from __future__ import annotations

import numpy as np

from vqinspect.metrics.registry import MetricError
from vqinspect.metrics.vmaf import adm, motion, vif
from vqinspect.metrics.vmaf.prepare import Workspace

MIN_SIZE = 33
"""Smallest width and height: libvmaf's integer ADM reads outside the band below this."""
BIT_DEPTHS = (8, 10, 12, 16)


def check_planes(ref: np.ndarray, dist: np.ndarray, bit_depth: int,
                 prev: np.ndarray | None = None) -> None:
    """Raise MetricError unless the luma planes can be compared as VMAF defines it."""
    if bit_depth not in BIT_DEPTHS:
        raise MetricError(f"VMAF: bit depth {bit_depth} is not supported (8, 10, 12 or 16)")
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    for what, plane in (("reference", ref), ("distorted", dist), ("previous reference", prev)):
        if plane is None:
            continue
        if plane.ndim != 2 or plane.dtype != dtype:
            raise MetricError(f"VMAF: the {what} luma must be a 2-D {np.dtype(dtype).name} "
                              f"array at {bit_depth} bits (got {plane.ndim}-D {plane.dtype})")
        if plane.shape != ref.shape:
            raise MetricError(f"VMAF: the {what} luma is {plane.shape[1]}x{plane.shape[0]}, "
                              f"the reference {ref.shape[1]}x{ref.shape[0]}")
    h, w = ref.shape
    if h < MIN_SIZE or w < MIN_SIZE:
        raise MetricError(f"VMAF needs at least {MIN_SIZE}x{MIN_SIZE} pixels (got {w}x{h})")


def kernel_plane(plane: np.ndarray) -> np.ndarray:
    """``plane`` as a C-contiguous, writable array (decoded planes may be strided views).

    One layout for every caller keeps the kernels vectorised and compiled once.
    """
    if plane.flags.c_contiguous and plane.flags.writeable:
        return plane
    return np.array(plane, order="C")


def vif_work(ws: Workspace, h: int, w: int) -> tuple[np.ndarray, ...]:
    """The thread's uint16 images of VIF scales 1-3 (ref, dis per scale)."""
    shapes = [shape for shape in vif.scale_shapes(h, w) for _ in range(2)]
    return tuple(ws.array(f"vif_q{k}", shape, np.uint16) for k, shape in enumerate(shapes))


def adm_work(ws: Workspace, h: int, w: int) -> tuple[np.ndarray, ...]:
    """The thread's int32 ``a`` bands of the four ADM scales (ref and dis stacked per scale)."""
    return tuple(ws.array(f"adm_a{s}", (2,) + shape, np.int32) for s, shape in enumerate(adm.band_shapes(h, w)))


def frame_features(ref: np.ndarray, dist: np.ndarray, prev: np.ndarray | None, bit_depth: int,
                   vif_gain: float, adm_gain: float, ws: Workspace) -> dict[str, float]:
    """VIF scales, ADM (adm2 and its scales) and motion (0 without a previous frame)."""
    ref, dist = kernel_plane(ref), kernel_plane(dist)
    h, w = ref.shape
    vif_num, vif_den = vif.vif_sums(ref, dist, bit_depth, vif_gain, vif_work(ws, h, w))
    adm_num, adm_den = adm.adm_sums(ref, dist, bit_depth, adm_gain, adm_work(ws, h, w))
    out = {f"vif_scale{s}": vif.scale_score(vif_num[s], vif_den[s]) for s in range(4)}
    out["adm2"] = adm2_score(adm_num, adm_den, h, w)
    out.update({f"adm_scale{s}": float(adm_num[s] / adm_den[s]) for s in range(4)})
    out["motion"] = motion_score(prev, ref, bit_depth)
    return out


def adm2_score(num: np.ndarray, den: np.ndarray, h: int, w: int) -> float:
    """adm2 from the per-scale sums; tiny sums count as 0 and a zero den gives 1 (libvmaf)."""
    limit = 1e-10 * (w * h) / (1920.0 * 1080.0)
    n = float(num.sum())
    d = float(den.sum())
    n = 0.0 if n < limit else n
    d = 0.0 if d < limit else d
    return 1.0 if d == 0.0 else n / d


def motion_score(prev: np.ndarray | None, cur: np.ndarray, bit_depth: int) -> float:
    """Mean absolute blurred difference to the previous reference frame (0 without one)."""
    if prev is None:
        return 0.0
    h, w = cur.shape
    sad = motion.motion_sad(kernel_plane(prev), kernel_plane(cur), bit_depth)
    return motion.motion_from_sad(sad, h, w)


class ModelFeatures:
    """The raw per-frame features one model needs, each extractor with the model's options.

    Families: VIF (classic), ADM (classic Watson-CSF float path, or libvmaf's integer path
    with the v1 options: adm2, aim, adm3 and scales), motion (the SAD against the previous
    reference), SpEED chroma (needs the chroma planes) and CAMBI (``metrics/cambi.py``).
    """

    def __init__(self, model) -> None:
        from vqinspect.metrics.vmaf.adm3 import AdmOptions
        from vqinspect.metrics.vmaf.motion3 import MotionOptions
        from vqinspect.metrics.vmaf.speed_chroma import SpeedOptions

        opts = model.options
        families = set(model.families)
        adm_opts = opts.get("adm", {})
        self.vif = "vif" in families
        self.integer_adm = "adm" in families and (
            any(k != "adm_enhn_gain_limit" for k in adm_opts)
            or any(f in ("adm3", "aim") for f in model.features))
        self.classic_adm = "adm" in families and not self.integer_adm
        self.vif_gain = model.vif_gain_limit
        self.adm_gain = model.adm_gain_limit
        self.adm = AdmOptions(**{k.removeprefix("adm_"): v for k, v in adm_opts.items()}) \
            if self.integer_adm else None
        if self.adm is not None:
            self.adm.factors()  # an unknown CSF table fails now, not on the first frame
        motion = opts.get("motion", {})
        self.motion = MotionOptions(max_val=float(motion.get("motion_max_val", 10000.0)),
                                    five_frame_window=bool(motion.get("motion_five_frame_window", False)),
                                    moving_average=bool(motion.get("motion_moving_average", False)))
        self.speed = None
        if "speed_chroma" in families:
            so = opts.get("speed_chroma", {})
            self.speed = SpeedOptions(
                kernelscale=float(so.get("speed_kernelscale", 1.0)),
                prescale=float(so.get("speed_prescale", 1.0)),
                prescale_method=str(so.get("speed_prescale_method", "nearest")),
                sigma_nn=float(so.get("speed_sigma_nn", 0.29)),
                nn_floor=float(so.get("speed_nn_floor", 0.0)),
                max_val=float(so.get("speed_max_val", 1000.0)),
                weight_var_mode=int(so.get("speed_weight_var_mode", 0)))
            self.speed.check()
        self.cambi = None
        if "cambi" in families:
            from vqinspect.metrics.cambi import CambiScorer

            self.cambi = CambiScorer(**opts.get("cambi", {}))
        self.needs_chroma = self.speed is not None

    def keys(self) -> tuple[str, ...]:
        """Raw keys ``compute`` returns (motion is the SAD motion)."""
        keys: list[str] = []
        if self.vif:
            keys += [f"vif_scale{s}" for s in range(4)]
        if self.classic_adm:
            keys += ["adm2"] + [f"adm_scale{s}" for s in range(4)]
        if self.integer_adm:
            keys += ["adm2", "aim", "adm3"] + [f"adm_scale{s}" for s in range(4)]
        keys.append("motion")
        if self.speed is not None:
            keys += ["speed_chroma_u", "speed_chroma_v", "speed_chroma_uv"]
        if self.cambi is not None:
            keys.append("vmaf_cambi")
        return tuple(keys)

    def check_chroma(self, ref, dist, bit_depth: int) -> None:
        """MetricError unless both frames bring U and V planes SpEED can use."""
        from vqinspect.metrics.vmaf.speed_chroma import plane_dims

        if len(ref) < 3 or len(dist) < 3:
            raise MetricError("VMAF: this model's SpEED chroma feature needs the chroma planes "
                              "(the input is grey)")
        dtype = np.uint8 if bit_depth == 8 else np.uint16
        for plane in (*ref[1:3], *dist[1:3]):
            if plane.ndim != 2 or plane.dtype != dtype or plane.shape != ref[1].shape:
                raise MetricError("VMAF: the chroma planes of the two clips differ in size or type")
        plane_dims(*ref[1].shape, self.speed.prescale)

    def compute(self, ref, dist, prev, bit_depth: int, ws: Workspace) -> dict[str, float]:
        """Raw features of one frame; ``ref``/``dist`` are plane tuples, ``prev`` a luma or None."""
        from vqinspect.metrics.vmaf.motion3 import sad_value

        y_ref, y_dist = kernel_plane(ref[0]), kernel_plane(dist[0])
        h, w = y_ref.shape
        out: dict[str, float] = {}
        if self.vif:
            num, den = vif.vif_sums(y_ref, y_dist, bit_depth, self.vif_gain, vif_work(ws, h, w))
            out.update({f"vif_scale{s}": vif.scale_score(num[s], den[s]) for s in range(4)})
        if self.classic_adm:
            num, den = adm.adm_sums(y_ref, y_dist, bit_depth, self.adm_gain, adm_work(ws, h, w))
            out["adm2"] = adm2_score(num, den, h, w)
            out.update({f"adm_scale{s}": float(num[s] / den[s]) for s in range(4)})
        if self.integer_adm:
            from vqinspect.metrics.vmaf.adm3 import adm3_scores

            s3 = adm3_scores(y_ref, y_dist, bit_depth, self.adm)
            out.update(adm2=s3.adm2, aim=s3.aim, adm3=s3.adm3)
            out.update({f"adm_scale{s}": s3.scales[s] for s in range(4)})
        sad = None if prev is None else motion.motion_sad(kernel_plane(prev), y_ref, bit_depth)
        out["motion"] = sad_value(sad, h, w, self.motion)
        out["_has_previous"] = prev is not None
        if self.speed is not None:
            from vqinspect.metrics.vmaf.speed_chroma import speed_chroma

            out.update(speed_chroma(ref[1], ref[2], dist[1], dist[2], bit_depth, self.speed))
        if self.cambi is not None:
            out["vmaf_cambi"] = self.cambi.score(y_dist, bit_depth)["cambi"]
        return out
