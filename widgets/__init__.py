"""PySide6 + pyqtgraph views of the inspector (the only layer that imports Qt)."""
from vqinspect.widgets.pyside_fix import protect_singletons

protect_singletons()
