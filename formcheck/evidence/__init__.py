"""What the runner sees: the overlay video, the plots, the report page and the analysis folder."""
