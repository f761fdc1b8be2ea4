"""Curator's desktop UI (PySide6): windows, item models and background operations."""
