"""Adapters behind the flows' ports: Babel translations, matplotlib charts, the clock, language detection."""
