"""The release check: the built wheel installed and run away from the repository."""
