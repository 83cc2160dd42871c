"""Declarations of the stages' settings that the project file layers over.

A stage above :mod:`synthohive_dbt.project` reads these values; the project derives
its optional YAML layer (``project/settings.py``) from the declarations here, so each
setting is declared once, below both. Nothing here imports another stage.
"""
