"""Thumbnails of image outputs: made by the server (maker.py), served at /thumbs/ (route.py)."""
