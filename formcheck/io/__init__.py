"""Reading clips and writing files: video decoding with its timing and rotation, the H.264 writer, and output folders that never replace what formcheck did not write."""
