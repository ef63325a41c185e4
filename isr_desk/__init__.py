"""ISR Desk: on-demand revalidation of statically generated sites, from the desktop or a shell."""

__version__ = "0.1.0"
