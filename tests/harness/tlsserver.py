#!/usr/bin/python3
"""A fake IMAP/POP3 server with a chosen certificate, that records what a
client sends.  For showing that a client which must not trust the
certificate sends no password.

    tlsserver.py MODE CERT KEY PORTFILE LOGFILE

MODE: imaps, pop3s (TLS at once), imap-starttls, pop3-stls (plain
greeting, then TLS on STARTTLS/STLS).  Listens on a free port of
127.0.0.1, written to PORTFILE.  Every byte received, before and after
TLS, is appended to LOGFILE.  Serves connections until killed.
"""
import os
import socket
import ssl
import sys
import threading


def serve(conn, mode, ctx, log):
    def record(data):
        with open(log, "ab") as f:
            f.write(data)

    greet = b"* OK fake\r\n" if mode.startswith("imap") else b"+OK fake\r\n"
    try:
        if mode in ("imaps", "pop3s"):
            conn = ctx.wrap_socket(conn, server_side=True)
            conn.sendall(greet)
        else:
            conn.sendall(greet)
            line = conn.recv(4096)
            record(line)
            if b"STARTTLS" in line.upper() or b"STLS" in line.upper():
                tag = line.split(b" ")[0]
                conn.sendall(tag + b" OK go\r\n" if mode.startswith("imap")
                             else b"+OK go\r\n")
                conn = ctx.wrap_socket(conn, server_side=True)
        while True:
            data = conn.recv(4096)
            if not data:
                break
            record(data)
            conn.sendall(b"* BAD no\r\n" if mode.startswith("imap")
                         else b"-ERR no\r\n")
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    mode, cert, key, portfile, log = sys.argv[1:6]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    open(log, "ab").close()
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, mode, ctx, log),
                         daemon=True).start()


main()
