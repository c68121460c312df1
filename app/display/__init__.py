"""What the screen shows: YUV to RGB, HDR preview, heatmaps (numbers to pictures, no Qt)."""
