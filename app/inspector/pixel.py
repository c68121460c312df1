"""What the pixel inspector reports under the cursor, read from the pictures on screen."""
from __future__ import annotations

from dataclasses import dataclass

from vqinspect.app.display.screen import sample
from vqinspect.app.inspector.frame_service import FrameImages, MapImage


@dataclass(frozen=True)
class PixelReadout:
    """Code values (native depth) and display RGB of both clips at one luma position."""

    x: int
    y: int
    ref_yuv: tuple[int, ...]
    dist_yuv: tuple[int, ...]
    ref_rgb: tuple[int, int, int]
    dist_rgb: tuple[int, int, int]
    map_name: str = ""
    map_value: float | None = None


def pixel_readout(images: FrameImages, map_image: MapImage | None, x: int, y: int) -> PixelReadout | None:
    """The readout at luma pixel (x, y), or None outside the frame. The map value is
    taken only from a map of the same frame."""
    if images is None or images.error or not images.ref_planes:
        return None
    h, w = images.ref_planes[0].shape
    if not (0 <= x < w and 0 <= y < h):
        return None
    name, value = "", None
    if (map_image is not None and map_image.values is not None
            and map_image.request.frame == images.request.frame):
        name = map_image.request.heatmap.map
        at = map_image.placement.sample_at(map_image.values.shape, x, y)
        if at is not None:
            value = float(map_image.values[at])
    return PixelReadout(x, y, sample(images.ref_planes, x, y), sample(images.dist_planes, x, y),
                        tuple(int(v) for v in images.ref_rgb[y, x]),
                        tuple(int(v) for v in images.dist_rgb[y, x]), name, value)
