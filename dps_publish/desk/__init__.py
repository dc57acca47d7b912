"""The publishing desk: comms staff run a whole round in the browser (``dps-publish desk``)."""
