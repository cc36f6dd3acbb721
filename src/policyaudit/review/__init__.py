"""Human review: the web app where coders check, double-code and agree the engine's cells."""
