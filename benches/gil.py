"""The GIL, measured: CPU-bound and sleeping tasks on threads and on processes.

Run by benches/parallel.rs as `python3 gil.py ROUNDS P...`; prints one line per
configuration: `<executor> <work> <p> <median wall s> <median CPU s of this process>
<fastest wall s>`.
CPU time is this process's (all its threads); a process pool's work runs in its children,
so that column is `nan` for processes.
"""
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

TASKS = 12


# ANCHOR: spin
def spin(n):
    """Pure-Python arithmetic: holds the GIL the whole time (a thread gives it up only every
    5 ms, to another thread that wants to run bytecode too)."""
    x = 0
    for i in range(n):
        x = (x * 31 + i) & 0xFFFFFFFF
    return x
# ANCHOR_END: spin


def nap(seconds):
    """A blocking call: CPython releases the GIL around it."""
    time.sleep(seconds)
    return seconds


def calibrate(target=0.020):
    n = 100_000
    best = min(timed(lambda: spin(n)) for _ in range(3))
    return max(1, int(n * target / best))


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def run(executor_cls, p, fn, arg, rounds):
    walls, cpus = [], []
    with executor_cls(max_workers=p) as ex:
        list(ex.map(fn, [arg] * p))  # warm-up: start every worker
        for _ in range(rounds):
            c, t = time.process_time(), time.perf_counter()
            list(ex.map(fn, [arg] * TASKS))
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), min(walls)


def main():
    rounds = int(sys.argv[1])
    ps = [int(a) for a in sys.argv[2:]]
    n = calibrate()
    print(f"# spin({n}), calibrated for about 20 ms; {TASKS} tasks per run", flush=True)
    for p in ps:
        wall, cpu, best = run(ThreadPoolExecutor, p, spin, n, rounds)
        print(f"threads cpu {p} {wall:.6f} {cpu:.6f} {best:.6f}", flush=True)
    for p in ps:
        wall, _, best = run(ProcessPoolExecutor, p, spin, n, rounds)
        print(f"processes cpu {p} {wall:.6f} nan {best:.6f}", flush=True)
    for p in ps:
        wall, cpu, best = run(ThreadPoolExecutor, p, nap, 0.020, rounds)
        print(f"threads sleep {p} {wall:.6f} {cpu:.6f} {best:.6f}", flush=True)


if __name__ == "__main__":
    main()
