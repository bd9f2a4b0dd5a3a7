#!/usr/bin/python3
"""A TCP proxy on 127.0.0.1 that misbehaves on request, for fault tests.

    faultproxy.py PORTFILE TARGET_PORT MODE [BYTES]

Listens on a free port of 127.0.0.1 and writes it to PORTFILE.  Each
connection is relayed to 127.0.0.1:TARGET_PORT.  MODE:

    pass            relay faithfully
    reset BYTES     after BYTES from the server, reset both sides (RST)
    stall BYTES     after BYTES from the server, relay nothing more but
                    keep the connection open (a server that stops
                    answering); PORTFILE + ".stalled" appears then
    slow MS         relay faithfully, but hold each chunk from the
                    server MS milliseconds (a slow server or link)

The mode can be changed while running by writing "MODE [BYTES]" into
PORTFILE + ".mode"; it applies to new connections.
"""
import os
import socket
import struct
import sys
import threading
import time


def mode(path, default):
    try:
        with open(path) as f:
            parts = f.read().split()
        return parts[0], int(parts[1]) if len(parts) > 1 else 0
    except (OSError, ValueError, IndexError):
        return default


def reset(sock):
    # SO_LINGER with a zero timeout makes close() send RST.
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


def pipe(src, dst, limit, how, done, delay=0):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if limit is not None and sent + len(data) > limit:
                dst.sendall(data[:limit - sent])
                if how == "reset":
                    reset(dst)
                    reset(src)
                    return
                # stall: say so, then swallow everything from now on
                open(STALLED, "w").close()
                while src.recv(65536):
                    pass
                return
            if how == "slow" and delay:
                time.sleep(delay / 1000.0)
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    finally:
        done.set()
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client, target, how, limit):
    try:
        server = socket.create_connection(("127.0.0.1", target))
    except OSError:
        reset(client)
        return
    done = threading.Event()
    lim = None if how in ("pass", "slow") else limit
    delay = limit if how == "slow" else 0
    threading.Thread(target=pipe, args=(client, server, None, how, done),
                     daemon=True).start()
    threading.Thread(target=pipe, args=(server, client, lim, how, done,
                                        delay), daemon=True).start()


STALLED = None


def main():
    global STALLED
    portfile, target = sys.argv[1], int(sys.argv[2])
    STALLED = portfile + ".stalled"
    default = (sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, portfile)
    while True:
        client, _ = ls.accept()
        how, limit = mode(portfile + ".mode", default)
        serve(client, target, how, limit)


main()
