/* The C peer for the security interop cases, on the system libzmq (built like peer_libzmq: system
 * <zmq.h>, system libzmq.so.5 by full path, no RUNPATH).
 *
 *   sec_peer_libzmq server|client plain|curve ZAP(0|1) ok|refused ENDPOINT|- SPUB SSEC CPUB CSEC USER PASS
 *
 * Prints "ENDPOINT <ep>" once bound (server), then "RESULT <result>" (see sec_side.h). "-" is empty. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sec_side.h"

static void copy_arg(char *dst, size_t cap, const char *arg)
{
    snprintf(dst, cap, "%s", strcmp(arg, "-") == 0 ? "" : arg);
}

static void print_endpoint(const char *endpoint, void *arg)
{
    (void)arg;
    printf("ENDPOINT %s\n", endpoint);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc != 13) {
        fprintf(stderr, "usage: see sec_peer_libzmq.c\n");
        return 2;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    alarm(40);
    struct sec_side s = {0};
    s.server = strcmp(argv[1], "server") == 0;
    s.curve = strcmp(argv[2], "curve") == 0;
    s.zap = strcmp(argv[3], "1") == 0;
    s.expect_refused = strcmp(argv[4], "refused") == 0;
    copy_arg(s.endpoint, sizeof s.endpoint, argv[5]);
    copy_arg(s.server_public, sizeof s.server_public, argv[6]);
    copy_arg(s.server_secret, sizeof s.server_secret, argv[7]);
    copy_arg(s.client_public, sizeof s.client_public, argv[8]);
    copy_arg(s.client_secret, sizeof s.client_secret, argv[9]);
    copy_arg(s.username, sizeof s.username, argv[10]);
    copy_arg(s.password, sizeof s.password, argv[11]);
    (void)argv[12];   /* reserved: the driver passes its pid for the logs */
    sec_run(&s, print_endpoint, NULL);
    printf("RESULT %s\n", s.result);
    fflush(stdout);
    return 0;
}
