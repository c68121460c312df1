"""The inspector window's Qt-free models: session, view state, playback, frames on demand, workspaces."""
