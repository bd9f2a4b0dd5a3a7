#!/usr/bin/env python3
"""A small SMTP server on 127.0.0.1 that fails on purpose, for tests.

smtpfault.py PORT MODE_FILE SPOOL_DIR

MODE_FILE holds one word, read at every connection, so that a test can
change the server's behaviour between runs:
  ok        accept every message (each saved in SPOOL_DIR)
  greet421  answer the connection with 421 and close it
  rcpt451   refuse every recipient with 451 (try later)
  rcpt550   refuse every recipient with 550 (no such user)
  data451   take the message, then refuse it with 451
  auth535   offer AUTH, and refuse every login with 535 (a wrong
            password); in the other modes a login is accepted
"""
import asyncio
import os
import sys
import time


async def session(reader, writer, mode_file, spool):
    try:
        mode = open(mode_file).read().strip()
    except OSError:
        mode = "ok"

    def send(line):
        writer.write((line + "\r\n").encode())

    if mode == "greet421":
        send("421 4.3.2 busy, try later")
        await writer.drain()
        writer.close()
        return
    send("220 smtpfault ESMTP")
    rcpts = []
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = line.decode(errors="replace").strip()
        verb = cmd[:4].upper()
        if verb in ("EHLO", "HELO"):
            send("250-smtpfault")
            send("250-AUTH PLAIN LOGIN")
            send("250 8BITMIME")
        elif verb == "AUTH":
            if mode == "auth535":
                send("535 5.7.8 authentication credentials invalid")
            elif cmd.upper().startswith("AUTH LOGIN"):
                # Username and password asked for in turn.
                for prompt in ("334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6"):
                    send(prompt)
                    await writer.drain()
                    await reader.readline()
                send("235 2.7.0 ok")
            else:
                if len(cmd.split()) < 3:
                    send("334 ")
                    await writer.drain()
                    await reader.readline()
                send("235 2.7.0 ok")
        elif verb == "MAIL":
            rcpts = []
            send("250 2.1.0 ok")
        elif verb == "RCPT":
            if mode == "rcpt451":
                send("451 4.3.0 try later")
            elif mode == "rcpt550":
                send("550 5.1.1 no such user")
            else:
                rcpts.append(cmd)
                send("250 2.1.5 ok")
        elif verb == "DATA":
            if not rcpts:
                send("554 5.5.1 no valid recipients")
                continue
            send("354 go ahead")
            data = []
            while True:
                l = await reader.readline()
                if not l or l in (b".\r\n", b".\n"):
                    break
                data.append(l)
            if mode == "data451":
                send("451 4.3.0 not now")
            else:
                name = "%d.%d" % (time.time_ns(), os.getpid())
                with open(os.path.join(spool, name), "wb") as f:
                    f.write(b"".join(data))
                send("250 2.0.0 queued")
        elif verb == "RSET":
            rcpts = []
            send("250 ok")
        elif verb == "QUIT":
            send("221 bye")
            await writer.drain()
            break
        else:
            send("502 5.5.2 not here")
        await writer.drain()
    writer.close()


async def main():
    port, mode_file, spool = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    server = await asyncio.start_server(
        lambda r, w: session(r, w, mode_file, spool), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
