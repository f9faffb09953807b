"""Thin rasa_sdk actions: each one reads the tracker, calls `bot`, and returns events."""
