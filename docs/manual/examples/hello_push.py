# hello_push.py: the PUSH side in Python, with pyzmq (getting-started.md).
# Usage: python3 hello_push.py [endpoint] [count]
import sys

import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://localhost:5555"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10

ctx = zmq.Context()
push = ctx.socket(zmq.PUSH)
push.connect(endpoint)
for i in range(count):
    push.send_string("hello %d" % i)
push.close()
ctx.term()  # waits until the messages are delivered
