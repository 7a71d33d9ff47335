"""The loader's parts (``app.engine.loader`` is the way in): reading a pack directory, compiling its
sections, laying the local overlay over the national pack, and the checks across rules."""
