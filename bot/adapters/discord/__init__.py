"""The Discord adapter: slash commands, persistent answer buttons, embeds.

It only parses interactions, calls the domain services and renders their
results; no game rule lives here.
"""
