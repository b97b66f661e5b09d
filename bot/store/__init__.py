"""The store: typed SQLAlchemy models, the database handle, and repositories that never commit."""
