"""Feed handling apart from the network: parsing bytes, discovering feeds on a page."""
