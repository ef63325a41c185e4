"""The Qt face of ISR Desk: one module per panel, Qt models beside the views that use them.

Views call services (through ``asyncio.to_thread`` for blocking work) and never talk HTTP,
the keyring or files themselves.
"""
