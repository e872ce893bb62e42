"""Wiring of MCS: settings, the ASGI application, the command line and the demo data."""
