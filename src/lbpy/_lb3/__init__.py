"""``lbpy import-lb3``: a LoopBack 3 app's JavaScript translated once into the app's own Python."""
