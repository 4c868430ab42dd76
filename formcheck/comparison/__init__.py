"""An early clip against a late one: the statistics, the verdict, the plots, the side-by-side video and the comparison folder."""
