"""Data in and out of params/: cell records and value parsing, one import plan for any source, tidy CSV."""
