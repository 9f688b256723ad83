"""Data in and out of the lists: exports (export.py) and, built on the same columns and
cell writers, spreadsheet imports."""
