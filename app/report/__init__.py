"""QC reports: what they say, their pictures, plots and HTML."""
