"""Settings package: base.py holds what every environment shares; dev, test and production
each adjust it. Every secret comes from the environment (see .env.example)."""
