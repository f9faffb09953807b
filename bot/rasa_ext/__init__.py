"""Code that runs inside the Rasa server process (Python 3.10, rasa 3.6.21).

It is imported by `.venv-rasa`'s interpreter, not by the application's: keep its imports to
the standard library, rasa and what rasa already depends on, plus python-stdnum and
phonenumbers for scrubbing (requirements/rasa.txt).
"""
