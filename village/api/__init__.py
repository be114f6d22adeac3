"""JSON endpoints: the sync protocol (/sync/) and, next, the records API (/api/).."""
