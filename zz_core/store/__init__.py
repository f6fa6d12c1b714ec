"""Persistence: SQLModel tables, the user-scoped repositories and audio retention.

Every function takes the acting user and scopes its query to them. Nothing here measures
audio or asks a model for advice.
"""
