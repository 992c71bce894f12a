"""What the portal embeds with: embed.js, the current poll, themes, oEmbed, the front page."""
