"""Vägvisaren: career-guidance assistant library (knowledge base, matching, geography, gateway)."""
