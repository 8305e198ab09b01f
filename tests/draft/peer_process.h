/* peer_process.h: a ZeroMQ peer in a process of its own, for the draft tests that kill a peer (SIGKILL) and
 * watch the other side notice. Include after testutil.h. */
#ifndef ZINC_TEST_PEER_PROCESS_H
#define ZINC_TEST_PEER_PROCESS_H

#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <zmq.h>

/* A peer in a process of its own (re-executing this program, so the child starts single-threaded, as
 * ThreadSanitizer requires): a DEALER with routing id id that connects to ep, sends "alive" and waits to
 * be stopped or killed. */
TU_UNUSED static int peer_process_main(int argc, char **argv)
{
    if (argc != 4 || strcmp(argv[1], "--peer") != 0)
        return -1;
    void *c = zmq_ctx_new();
    void *d = zmq_socket(c, ZMQ_DEALER);
    zmq_setsockopt(d, ZMQ_ROUTING_ID, argv[2], strlen(argv[2]));
    zmq_connect(d, argv[3]);
    zmq_send(d, "alive", 5, 0);
    for (;;)
        pause();
}

TU_UNUSED static pid_t spawn_peer(const char *id, const char *ep)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", "peer", "--peer", id, ep, (char *)NULL);
        _exit(127);
    }
    return pid;
}

#endif
