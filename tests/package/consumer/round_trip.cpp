// A user's C++ program on an installed zinc through Debian's cppzmq (header-only): PUSH/PULL round trip over
// inproc, then proof that it runs on the prefix's libzmq.so.5 (loaded_from.h) and was compiled against zinc's
// zmq.h (zinc_version). usage: round_trip PREFIX
#include <cstdio>
#include <string>
#include <zmq.hpp>

#include "loaded_from.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s PREFIX\n", argv[0]);
        return 2;
    }
    zmq::context_t ctx;
    zmq::socket_t push(ctx, zmq::socket_type::push);
    zmq::socket_t pull(ctx, zmq::socket_type::pull);
    pull.set(zmq::sockopt::rcvtimeo, 5000);
    pull.bind("inproc://package-consumer");
    push.connect("inproc://package-consumer");
    push.send(zmq::str_buffer("hello"), zmq::send_flags::none);
    zmq::message_t msg;
    if (!pull.recv(msg, zmq::recv_flags::none) || msg.to_string() != "hello") {
        std::fprintf(stderr, "round trip failed\n");
        return 1;
    }
    if (loaded_check(argv[1], 1) != 0)
        return 1;
    std::printf("%s: round trip on %s (cppzmq %d.%d.%d)\n", CONSUMER_NAME, zinc_version(), CPPZMQ_VERSION_MAJOR,
                CPPZMQ_VERSION_MINOR, CPPZMQ_VERSION_PATCH);
    return 0;
}
