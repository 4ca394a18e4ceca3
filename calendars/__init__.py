"""Calendars: iCal feeds behind secret tokens, subscriptions, published versions, .ics imports."""
