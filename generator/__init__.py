"""briefing: a static site generator for cross-linked diplomatic briefings.

The build is a pipeline of small stages with plain data between them:
load → validate → link → render → write. See `generator.build`.
"""

__version__ = "0.1.0"
