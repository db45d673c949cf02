"""Kakehashi web package."""
