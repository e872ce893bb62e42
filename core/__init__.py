"""What every layer may use and that depends on none: the settings read from MCS_* variables
(settings.py) and how a database outage is recognised and answered (outages.py)."""
