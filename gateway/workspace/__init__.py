"""The staff workspace: documents attached to a chat, task templates, saved conversations."""
