"""The try-out: demo data and the stand-in portal that embeds the widgets."""
