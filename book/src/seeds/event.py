from threading import Event

e = Event()  创建线程event对象   #（unset）

e.wait([timeout])  阻塞等待e被set  # unset则阻塞，(set)则放行

e.set()  设置e，使wait结束阻塞    #(set)

e.clear() 使e回到未被设置状态　　　#（unset）

e.is_set()  查看当前e是否被设置
