"""The county pages (/county/)."""
