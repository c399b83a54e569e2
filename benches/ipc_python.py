"""Python-to-Python baseline for benches/ipc.rs: multiprocessing.connection round trips
between two python3 processes, over Pipe() (a socket pair) and a Unix-socket Listener/Client.
Prints one line per case in microseconds per round trip and MiB/s."""

import os
import sys
import tempfile
import time
from multiprocessing import Pipe, Process
from multiprocessing.connection import Client, Listener

KEY = b"bench key"
SIZES = (64, 64 * 1024)


def echo(conn):
    # An empty message stops the echo (with fork, the child also holds the parent's end,
    # so closing it there would never reach end of file).
    try:
        while True:
            m = conn.recv_bytes()
            if not m:
                return
            conn.send_bytes(m)
    except EOFError:
        pass


def serve(address):
    with Listener(address, family="AF_UNIX", authkey=KEY) as l:
        with l.accept() as c:
            echo(c)


def measure(conn, size, seconds=1.0):
    msg = b"\x07" * size
    for _ in range(100):
        conn.send_bytes(msg)
        conn.recv_bytes()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            conn.send_bytes(msg)
            conn.recv_bytes()
        n += 100
    took = time.perf_counter() - start
    return took / n * 1e6, size * n / took / (1 << 20)


def main():
    a, b = Pipe()
    p = Process(target=echo, args=(b,))
    p.start()
    b.close()
    for size in SIZES:
        us, mib = measure(a, size)
        print(f"python3 Pipe()            {size:>6} B: {us:8.2f} us/round trip {mib:9.1f} MiB/s")
    a.send_bytes(b"")
    a.close()
    p.join()

    d = tempfile.mkdtemp()
    address = os.path.join(d, "s")
    p = Process(target=serve, args=(address,))
    p.start()
    while not os.path.exists(address):
        time.sleep(0.01)
    time.sleep(0.05)
    c = Client(address, family="AF_UNIX", authkey=KEY)
    for size in SIZES:
        us, mib = measure(c, size)
        print(f"python3 Listener/Client   {size:>6} B: {us:8.2f} us/round trip {mib:9.1f} MiB/s")
    c.send_bytes(b"")
    c.close()
    p.join()
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
