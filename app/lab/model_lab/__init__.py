"""The model lab: a dataset's features, a VMAF-style nu-SVR trained on them, its validation
and its export as a libvmaf JSON model (``vqinspect lab features|train|validate|report``)."""
