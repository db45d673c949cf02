"""Kakehashi redaction package."""
