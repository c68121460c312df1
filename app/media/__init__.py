"""Open what users bring (containers, image sequences, raw YUV), probe it and read frames as planes."""
