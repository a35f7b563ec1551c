"""The weekly edition: drafting, rendering per reader language, subscribers and sending."""
