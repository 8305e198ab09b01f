/* The draft API's header: zmq.h with ZMQ_BUILD_DRAFT_API declares libzmq 4.3's draft constants, and the
 * stable constants keep their values; zmq_has("draft") says the library carries the draft API, as a libzmq
 * built with it does. Later draft tests exercise the functions themselves. */
#include "testutil.h"

int main(void)
{
    CHECK(ZMQ_SERVER == 12 && ZMQ_CLIENT == 13 && ZMQ_RADIO == 14 && ZMQ_DISH == 15);
    CHECK(ZMQ_GATHER == 16 && ZMQ_SCATTER == 17 && ZMQ_DGRAM == 18 && ZMQ_PEER == 19 && ZMQ_CHANNEL == 20);
    CHECK(ZMQ_ROUTER_NOTIFY == 97 && ZMQ_NOTIFY_CONNECT == 1 && ZMQ_NOTIFY_DISCONNECT == 2);
    CHECK(ZMQ_HELLO_MSG == 110 && ZMQ_DISCONNECT_MSG == 111);
    CHECK(ZMQ_EVENT_PIPES_STATS == 0x10000 && ZMQ_CURRENT_EVENT_VERSION_DRAFT == 2);
    CHECK(ZMQ_PAIR == 0 && ZMQ_STREAM == 11 && ZMQ_EVENTS == 15);
    CHECK(zmq_has("draft") == 1);
    return 0;
}
