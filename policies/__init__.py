"""Kakehashi policies package."""
