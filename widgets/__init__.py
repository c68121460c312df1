"""PySide6 + pyqtgraph views of the inspector (the only layer that imports Qt)."""
from widgets.pyside_fix import protect_singletons

protect_singletons()
