# Seed 003 §1.4 (进程队列): the parent creates a Queue and passes it to two children,
# one writing to it and one reading from it.
from multiprocessing import Process, Queue
import os, time, random


# The writer process runs this:
def write(q):
    print(f'Process to write: {os.getpid()}')
    for value in ['A', 'B', 'C']:
        print(f'Put {value} to queue...')
        q.put(value)
        time.sleep(random.random())


# The reader process runs this:
def read(q):
    print(f'Process to read: {os.getpid()}')
    while True:
        value = q.get(True)
        print(f'Get {value} from queue.')


if __name__ == '__main__':
    # The parent creates the Queue and passes it to each child:
    q = Queue()
    pw = Process(target=write, args=(q, ))
    pr = Process(target=read, args=(q, ))
    # Start the writer:
    pw.start()
    # Start the reader:
    pr.start()
    # Wait for the writer to finish:
    pw.join()
    # The reader loops forever and cannot be joined; it has to be terminated:
    pr.terminate()
