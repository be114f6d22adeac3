"""The county pages (/county/).."""
