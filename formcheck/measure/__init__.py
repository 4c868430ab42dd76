"""Numbers from the clean track: per-frame metrics, strides and cadence, 'running tight' segments, and the clip's quality warnings."""
