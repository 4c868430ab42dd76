"""The body model: MediaPipe's landmark names and groups, and the geometry measured on them."""
