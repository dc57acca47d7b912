"""The ``model`` stage: the publishable model, what may be published and nothing else."""
