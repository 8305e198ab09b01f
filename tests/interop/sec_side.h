/* One side of a security interop case; see sec_side.c. */
#ifndef ZINC_SEC_SIDE_H
#define ZINC_SEC_SIDE_H

#include <zmq.h>

struct sec_side {
    int server;                 /* 1: bind and echo; 0: connect and check */
    int curve;                  /* 1: CURVE; 0: PLAIN */
    int zap;                    /* server: run a ZAP handler */
    int expect_refused;         /* the handshake must fail */
    int user_checked;           /* internal */
    char endpoint[256];         /* client: where to connect */
    char server_public[41], server_secret[41], client_public[41], client_secret[41];
    char username[64], password[64];
    char result[256];           /* "ok", "refused:<event>:<value>" or "fail:<why>" */
};

/* Runs the side to its end. A server calls on_endpoint once it is bound. */
void sec_run(struct sec_side *s, void (*on_endpoint)(const char *endpoint, void *arg), void *arg);

#endif
