"""Pages only an admin opens."""
