"""Package data: style sheets, colormaps, icons (read with importlib.resources)."""
