"""The clerk's pages (/clerk/).."""
