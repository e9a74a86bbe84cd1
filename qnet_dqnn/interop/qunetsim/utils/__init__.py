"""QuNetSim's ``qunetsim.utils``."""
