"""Trust boundaries (design.md §2): who is calling, and what the browser may do with our pages."""
