"""HTTP front of the assistant (FastAPI): search and item pages for now; channels come next."""
