# hello_pull.py: the PULL side in Python, with pyzmq (getting-started.md).
# Usage: python3 hello_pull.py [endpoint] [count]
import sys

import zmq

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://*:5555"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 10

ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.bind(endpoint)
for _ in range(count):
    print("received:", pull.recv().decode())
pull.close()
ctx.term()
