"""Call measures, one module per family; each docstring holds the definitions."""
