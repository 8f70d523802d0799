"""Hidden test suites, one pytest module per assignment (``test_<assignment>.py``)."""
