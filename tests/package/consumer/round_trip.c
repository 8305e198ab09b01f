/* A user's C program on an installed zinc: PUSH/PULL round trip over inproc through <zmq.h> from the
 * install prefix, then proof that it runs on that prefix's library (loaded_from.h) and zinc's header
 * (zinc_version is zinc's own; Debian's zmq.h does not declare it). usage: round_trip PREFIX */
#define _XOPEN_SOURCE 700 /* realpath, with -std=c11 */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "loaded_from.h"

#ifdef CONSUMER_STATIC
#define WANT_SHARED 0
#else
#define WANT_SHARED 1
#endif

static int round_trip(void)
{
    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    char buf[16] = "";
    int timeout = 5000;
    int rc = -1;
    zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_bind(pull, "inproc://package-consumer") == 0 && zmq_connect(push, "inproc://package-consumer") == 0 &&
        zmq_send(push, "hello", 5, 0) == 5 && zmq_recv(pull, buf, sizeof buf, 0) == 5 && memcmp(buf, "hello", 5) == 0)
        rc = 0;
    else
        fprintf(stderr, "round trip failed: %s\n", zmq_strerror(zmq_errno()));
    zmq_close(push);
    zmq_close(pull);
    zmq_ctx_term(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PREFIX\n", argv[0]);
        return 2;
    }
    if (round_trip() != 0 || loaded_check(argv[1], WANT_SHARED) != 0)
        return 1;
    printf("%s: round trip on %s (%s)\n", CONSUMER_NAME, zinc_version(), WANT_SHARED ? "shared" : "static");
    return 0;
}
