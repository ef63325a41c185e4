"""ISR Desk: on-demand revalidation of statically generated sites, from the desktop or a shell."""

# The one source of truth for the version: pyproject.toml reads it from here
# ([tool.setuptools.dynamic]), so the installed metadata agrees, and reading it costs no
# importlib.metadata at start-up (~30 ms of `isr-desk --help`, docs/performance.md).
__version__ = "0.1.0"
