"""ISR Desk: on-demand revalidation of statically generated sites, from the desktop or a shell."""

from importlib.metadata import PackageNotFoundError, version

try:  # one source of truth: the version in pyproject.toml, as installed
    __version__ = version("isr-desk")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
