"""Kakehashi audit package."""
