"""What the frames say about the camera rather than the runner: its motion (pans) and its roll."""
