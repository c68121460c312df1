"""A bootstrap VMAF model's 95 % interval drawn as a band around the VMAF curve."""
import numpy as np


def test_the_interval_is_a_band_around_vmaf_not_two_more_lines(qtbot, settings, pair_paths):
    from vqinspect.app.scoring.metric_choice import MetricChoice
    from vqinspect.widgets.launch import application
    from vqinspect.widgets.main_window import InspectorWindow

    application()
    metrics = MetricChoice.from_names(["vmaf"], {"vmaf": {"model": "vmaf_b_v0.6.3"}})
    w = InspectorWindow(metrics, settings=settings)
    w.resize(1200, 800)
    w.show()
    try:
        with qtbot.waitSignal(w.scoring_finished, timeout=120_000):
            w.open_paths(*pair_paths)
        band = w.plots.bands[("vmaf_ci_p95_lo", "vmaf_ci_p95_hi")]
        plot = w.plots.plots["vmaf"]
        assert band in plot.items and not band.path().boundingRect().isEmpty()
        table = w.session.table
        for key in ("vmaf_ci_p95_lo", "vmaf_ci_p95_hi"):
            edge = w.plots.curves[key]
            assert edge.opts["pen"].color().alpha() == 0                 # an edge, not a line
            assert np.array_equal(edge.getData()[1], table.column(key), equal_nan=True)
        lo, hi, vmaf = (table.column(k) for k in ("vmaf_ci_p95_lo", "vmaf_ci_p95_hi", "vmaf_bagging"))
        assert np.all(lo <= vmaf) and np.all(vmaf <= hi)                 # the band holds the bagged score
        labels = [item.text for _, item in w.plots.legends["vmaf"].items]
        assert "95 % interval" in labels and "vmaf_ci_p95_lo" not in labels
    finally:
        w.close()
