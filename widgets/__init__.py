"""PySide6 + pyqtgraph views of the inspector (the only layer that imports Qt)."""
