"""Alembic migrations, shipped inside the package so ``kakehashi db upgrade`` works from an install."""
