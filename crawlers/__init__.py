"""The Scrapy project: spiders for feeds and for sites without feeds, and their pipeline."""
