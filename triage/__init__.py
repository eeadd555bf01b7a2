"""triage: tell, fast and defensibly, whether files claimed to be an organisation's leaked
internals are real, outdated, altered or fabricated."""

__version__ = "0.1.0"
