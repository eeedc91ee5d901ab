"""Chat-platform adapters: parse input, call the services, render output."""
