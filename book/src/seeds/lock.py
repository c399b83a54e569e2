from  threading import Lock
lock = Lock()  创建锁对象

lock.acquire() 上锁  #如果lock已经上锁再调用也会阻塞
lock.release() 解锁
