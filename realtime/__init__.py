"""Realtime: the fan-out bus that wakes subscribers, and the subscription streams."""
