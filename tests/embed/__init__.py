"""Tests of what the portal embeds with: embed.js, the current poll, themes, oEmbed."""
