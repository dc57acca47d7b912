"""Stage 5, the publishable model: what may be published, and nothing else."""
