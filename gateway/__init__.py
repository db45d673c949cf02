"""Kakehashi gateway package."""
