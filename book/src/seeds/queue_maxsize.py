# Seed 003 §2.5 (线程队列): Queue(1) hands items over one at a time.
from queue import Queue
from threading import Thread
import time

my_queue = Queue(1)  # Buffer size of 1


def consumer():
    time.sleep(0.1)  # Wait
    my_queue.get()  # Runs 2nd
    print('Consumer got 1')
    my_queue.get()  # Runs 4th
    print('Consumer got 2')
    print('Consumer done')


thread = Thread(target=consumer)
thread.start()

my_queue.put(object())  # Runs 1st
print('Producer put 1')
my_queue.put(object())  # Runs 3rd
print('Producer put 2')
print('Producer done')
thread.join()


# Seed 003 §2.5: task_done() marks an item finished; join() waits for all of them.
from queue import Queue
from threading import Thread

in_queue = Queue()


def consumer():
    print('Consumer waiting')
    work = in_queue.get()  # Runs 2nd
    print('Consumer working')
    print('Consumer done')
    in_queue.task_done()  # Runs 3rd


thread = Thread(target=consumer)
thread.start()

print('Producer putting')
in_queue.put(object())  # Runs 1st
print('Producer waiting')
in_queue.join()  # Runs 4th
print('Producer done')
thread.join()
