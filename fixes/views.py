"""API views of this app."""
