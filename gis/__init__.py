"""Spatial logic of wangge: pure functions and small classes on GeoDataFrames."""
