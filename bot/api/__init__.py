"""The FastAPI gateway: the public edge in front of Rasa and the action server."""
