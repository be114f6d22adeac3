"""The field app for tablets (/field/)."""
