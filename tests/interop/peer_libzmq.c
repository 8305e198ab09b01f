/* The libzmq peer: the interop steps of interop.c, compiled against the system /usr/include/zmq.h and
 * linked with the system libzmq.so.5 (no build RUNPATH, so never zinc's library of the same soname).
 *
 *   peer_libzmq SOCKET-TYPE bind|connect ENDPOINT|- STEPS
 *
 * Speaks the control protocol described in interop_driver.c on stdin/stdout; diagnostics go to stderr.
 * Its HELLO line names the file the loaded zmq_version() lives in, so the driver can refuse a run in which
 * the wrong libzmq.so.5 was picked up. Built on zinc with the draft API it is peer_zinc, the other end of
 * the draft patterns (CMakeLists.txt: Debian's libzmq aborts in the handshake of its draft sockets).
 */
#include "interop.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define DONE_TIMEOUT_MS 60000
/* peer_zinc is this file built on zinc (draft patterns; CMakeLists.txt) */
#ifndef INTEROP_PEER_NAME
#define INTEROP_PEER_NAME "peer-libzmq"
#endif

static void loaded_library(char *path, size_t cap)
{
    Dl_info info;
    char real[PATH_MAX];
    snprintf(path, cap, "unknown");
    if (dladdr((void *)zmq_version, &info) && info.dli_fname) {
        if (realpath(info.dli_fname, real))
            snprintf(path, cap, "%s", real);
        else
            snprintf(path, cap, "%s", info.dli_fname);
    }
}

int main(int argc, char **argv)
{
    interop_who = INTEROP_PEER_NAME;
    if (argc != 5) {
        fprintf(stderr, "usage: peer_libzmq SOCKET-TYPE bind|connect ENDPOINT|- STEPS\n");
        return 2;
    }
    const char *type_name = argv[1];
    const char *mode = argv[2];
    const char *endpoint = argv[3];
    const char *steps = argv[4];
    struct interop_ctl ctl = {.rfd = 0, .wfd = 1};

    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    char lib[PATH_MAX];
    loaded_library(lib, sizeof lib);
    interop_ctl_send(&ctl, "HELLO impl=%s version=%d.%d.%d lib=%s", interop_who + 5, major, minor, patch, lib);

    int type = interop_socket_type(type_name);
    if (type < 0) {
        interop_ctl_send(&ctl, "FAIL unknown socket type %s", type_name);
        return 1;
    }
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, type);
    if (!sock) {
        interop_ctl_send(&ctl, "FAIL zmq_socket: %s", zmq_strerror(errno));
        return 1;
    }
    int rc = 1;
    if (interop_socket_setup(sock, steps) < 0) {
        interop_ctl_send(&ctl, "FAIL socket options");
        goto close;
    }
    if (strcmp(mode, "bind") == 0) {
        /* ENDPOINT "-": tcp; else the address to bind (ws://127.0.0.1:* for the ws:// runs) */
        if (zmq_bind(sock, strcmp(endpoint, "-") ? endpoint : "tcp://127.0.0.1:*") < 0) {
            interop_ctl_send(&ctl, "FAIL zmq_bind: %s", zmq_strerror(errno));
            goto close;
        }
        char bound[256];
        size_t len = sizeof bound;
        zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &len);
        interop_ctl_send(&ctl, "ENDPOINT %s", bound);
    } else if (interop_connect(sock, endpoint, steps) < 0) {
        interop_ctl_send(&ctl, "FAIL zmq_connect(%s): %s", endpoint, zmq_strerror(errno));
        goto close;
    }
    interop_ctl_send(&ctl, "READY");
    if (interop_run_steps(sock, &ctl, steps) < 0) {
        interop_ctl_send(&ctl, "FAIL steps %s", steps);
        goto close;
    }
    interop_ctl_send(&ctl, "OK");
    /* Keep the connection until the driver has checked everything it received from us. */
    if (interop_ctl_expect(&ctl, "DONE", DONE_TIMEOUT_MS) == 0)
        rc = 0;
close:;
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return rc;
}
