"""Pathway's own CSS and JavaScript and the pinned htmx file (vendor/), installed as ``app.static``
(pyproject.toml's package-dir) and read with ``importlib.resources`` by app/web/assets.py."""
