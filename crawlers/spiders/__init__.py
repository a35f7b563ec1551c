"""Spiders: `feeds` for every feed source, `sites` for sources without a feed."""
