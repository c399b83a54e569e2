"""Python-to-Python baseline for benches/ipc.rs: multiprocessing.connection round trips
between two python3 processes, over Pipe() (a socket pair) and a Unix-socket Listener/Client.
Prints one line per case: wall microseconds per round trip, MiB/s, and the CPU time per round
trip of this process and of its peer (from /proc/<pid>/schedstat).
THREADPROOF_BENCH_PIN=same puts both processes on CPU 0, =split the parent on 0, the peer on 1."""

import os
import sys
import tempfile
import time
from multiprocessing import Pipe, Process
from multiprocessing.connection import Client, Listener

KEY = b"bench key"
SIZES = (64, 64 * 1024)


PIN = os.environ.get("THREADPROOF_BENCH_PIN")


def pin(peer):
    if PIN == "same":
        os.sched_setaffinity(0, {0})
    elif PIN == "split":
        os.sched_setaffinity(0, {1 if peer else 0})


def cpu_of(pid):
    """CPU time of `pid`'s main thread in seconds (/proc/<pid>/schedstat, nanoseconds)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0]) / 1e9


def echo(conn):
    pin(True)
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
    pin(True)
    with Listener(address, family="AF_UNIX", authkey=KEY) as l:
        with l.accept() as c:
            echo(c)


def measure(conn, size, peer, seconds=1.0):
    msg = b"\x07" * size
    for _ in range(100):
        conn.send_bytes(msg)
        conn.recv_bytes()
    cpu_me, cpu_peer = cpu_of(os.getpid()), cpu_of(peer)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            conn.send_bytes(msg)
            conn.recv_bytes()
        n += 100
    took = time.perf_counter() - start
    me = (cpu_of(os.getpid()) - cpu_me) / n * 1e6
    other = (cpu_of(peer) - cpu_peer) / n * 1e6
    return took / n * 1e6, size * n / took / (1 << 20), me, other


def main():
    pin(False)
    a, b = Pipe()
    p = Process(target=echo, args=(b,))
    p.start()
    b.close()
    for size in SIZES:
        line = measure(a, size, p.pid)
        print(f"python3 Pipe()            {size:>6} B: {line[0]:8.2f} us/round trip {line[1]:9.1f} MiB/s"
              f" {line[2]:8.2f} us cpu here {line[3]:8.2f} us cpu peer")
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
        line = measure(c, size, p.pid)
        print(f"python3 Listener/Client   {size:>6} B: {line[0]:8.2f} us/round trip {line[1]:9.1f} MiB/s"
              f" {line[2]:8.2f} us cpu here {line[3]:8.2f} us cpu peer")
    c.send_bytes(b"")
    c.close()
    p.join()
    print(f"python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
