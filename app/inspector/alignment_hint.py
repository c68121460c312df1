"""What the window says about an automatic alignment of the open pair: whether the pair as
opened looks misaligned, and the one-line suggestion of its banner. Qt-free."""
from __future__ import annotations

from vqinspect.app.scoring.alignment import LOW_CONFIDENCE


def misalignment_hint(alignment, pair) -> str | None:
    """The banner's text when ``alignment`` (found for the clips of ``pair``) pairs the frames
    or the pixels differently from ``pair``; None when nothing confident says so."""
    parts = []
    if alignment.offset != pair.offset and alignment.offset_confidence >= LOW_CONFIDENCE:
        parts.append(f"the distorted clip matches at offset {alignment.offset:+d}, not {pair.offset:+d}")
    events = [e for e in alignment.events if e.confidence >= LOW_CONFIDENCE and e.type != "offset_change"]
    for kind, side in (("dropped", "reference"), ("repeated", "distorted"), ("inserted", "distorted")):
        found = [e for e in events if e.type == kind]
        if found:
            count = sum(e.count for e in found)
            where = ", ".join(str(e.ref_frame) for e in found)
            parts.append(f"{count} {side} frame{'s' if count > 1 else ''} {kind} (at reference "
                         f"frame{'s' if len(found) > 1 else ''} {where})")
    spatial = alignment.spatial.findings if alignment.spatial is not None else ()
    parts += [f.text for f in spatial]
    if not parts:
        return None
    targets = []
    if len(parts) > len(spatial):
        targets.append("each reference frame against its true counterpart")
    if spatial:
        targets.append("inside the window found")
    return f"This pair looks misaligned: {'; '.join(parts)}. Apply the alignment to score {', '.join(targets)}."
