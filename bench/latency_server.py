"""A loopback revalidation endpoint with a fixed latency, for benchmarks.

asyncio, HTTP/1.1 keep-alive, minimal parsing: one process can answer thousands of
requests per second, so a benchmark measures the client and not this server. Every
request waits ``--latency`` seconds and gets ``200 {"revalidated": true}`` when the secret
(query ``secret=`` or ``Authorization: Bearer``) matches, else 401.

    python -m bench.latency_server --latency 0.02 --port 0   # prints the URL, then serves
    python -m bench.latency_server --workers 2               # two processes, one socket
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Awaitable

SECRET = "bench-secret"
_OK = b'{"revalidated":true}'
_DENIED = b'{"message":"Invalid token"}'


def _reply(status: bytes, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


OK_REPLY = _reply(b"200 OK", _OK)
DENIED_REPLY = _reply(b"401 Unauthorized", _DENIED)


async def _serve(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency: float
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            authorised = b"secret=" + SECRET.encode() in head.split(b"\r\n", 1)[0]
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                lower = name.strip().lower()
                if lower == b"content-length":
                    length = int(value.strip() or 0)
                elif lower == b"authorization" and value.strip() == b"Bearer " + SECRET.encode():
                    authorised = True
            if length:
                await reader.readexactly(length)
            if latency:
                await asyncio.sleep(latency)
            writer.write(OK_REPLY if authorised else DENIED_REPLY)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def serve(
    latency: float,
    port: int,
    ready: asyncio.Future[int] | None = None,
    *,
    sock: socket.socket | None = None,
) -> None:
    def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> Awaitable[None]:
        return _serve(r, w, latency)

    if sock is not None:
        server = await asyncio.start_server(handler, sock=sock)
    else:
        server = await asyncio.start_server(handler, "127.0.0.1", port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready.set_result(bound)
    elif sock is None:
        print(f"http://127.0.0.1:{bound}", flush=True)  # the URL is this tool's output
    async with server:
        await server.serve_forever()


def _serve_workers(latency: float, port: int, workers: int) -> None:
    """``workers`` processes accepting on one listening socket (for a load that one
    process's CPU cannot answer; the benchmark sums their CPU)."""
    sock = socket.create_server(("127.0.0.1", port), backlog=4096)
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(serve(latency, 0, sock=sock))
            os._exit(0)
        children.append(pid)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)

    def stop(*_: object) -> None:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    try:
        for pid in children:
            os.waitpid(pid, 0)
    except KeyboardInterrupt:
        stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1, help="processes (one socket)")
    args = parser.parse_args(argv)
    if args.workers > 1:
        _serve_workers(args.latency, args.port, args.workers)
        return
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.latency, args.port))


if __name__ == "__main__":
    sys.exit(main())
