"""All SQL of the project, one module per entity, functions named verb_noun.

Every function takes the `sqlite_utils.Database` first and returns plain dicts,
so callers never see a cursor and never write SQL of their own.
"""
