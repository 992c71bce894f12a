"""What both reader widgets share: voter identity, theme, cached HTML variants and notices."""
