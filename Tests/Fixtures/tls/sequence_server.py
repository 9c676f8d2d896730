#!/usr/bin/env python3
"""A TLS server whose Nth handshake gets the certificate the Nth letter of a
pattern names: N (new) or O (old); past the end the last letter repeats.

It stands for a web server right after a reload, when an old worker still
accepts a few connections with the old certificate ("NOONNN..."), or a server
that never settles ("NONONO..." repeated). It proves only what verification
does with such answers, nothing about any real server's timing.

usage: sequence_server.py PORT NEW_CERT NEW_KEY OLD_CERT OLD_KEY PATTERN COUNT_FILE
"""
import socket
import ssl
import sys
import threading

port, new_cert, new_key, old_cert, old_key, pattern, count_file = sys.argv[1:8]
pattern = pattern.upper()


def context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


contexts = {"N": context(new_cert, new_key), "O": context(old_cert, old_key)}
lock = threading.Lock()
handshakes = 0


def choose(sock, server_name, _initial):
    # Called once per ClientHello; a plain TCP probe never gets here.
    global handshakes
    with lock:
        letter = pattern[min(handshakes, len(pattern) - 1)]
        handshakes += 1
        with open(count_file, "w") as out:
            out.write(str(handshakes))
    sock.context = contexts[letter]


front = context(new_cert, new_key)
front.sni_callback = choose
listener = socket.create_server(("127.0.0.1", int(port)))


def serve(connection):
    try:
        with front.wrap_socket(connection, server_side=True) as tls:
            tls.recv(1)
    except (OSError, ssl.SSLError):
        pass
    finally:
        connection.close()


while True:
    connection, _ = listener.accept()
    connection.settimeout(5)
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
