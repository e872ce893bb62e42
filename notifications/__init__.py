"""Notifications for people who are not looking: what a message says (content.py) and how it
leaves (email.py). Who is told and when: models/notifications.py; the loop: resolvers/notifier.py."""
