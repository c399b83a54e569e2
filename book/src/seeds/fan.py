# Fan-out and fan-in (seed 003 §3.3) the way a Python user writes it: a bounded
# ThreadPoolExecutor instead of a thread per item, then wait for every result.
from concurrent.futures import ThreadPoolExecutor

words = ["1", "two", "3", "4"]

# executor.map fans out, and iterating its results is the fan-in. The first item that
# raised stops the iteration: the results after it cannot be reached through it.
with ThreadPoolExecutor(max_workers=2) as executor:
    got = []
    try:
        for value in executor.map(int, words):
            got.append(value)
    except ValueError as error:
        print("map stopped at the first error:", error)
    print("results before it:", got)

# One outcome per item, in input order: submit each item and ask each future.
with ThreadPoolExecutor(max_workers=2) as executor:
    futures = [executor.submit(int, word) for word in words]
    for word, future in zip(words, futures):
        error = future.exception()
        print(word, "->", future.result() if error is None else f"error: {error}")
