"""Scoring many pairs at once on a Dask cluster: manifests, the runner and the merged summary."""
