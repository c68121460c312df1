"""Bitrate ladders: convex hulls, BD-rate and BD-quality, and the ladder report."""
