/* zinc-specific (libzmq 4.3.4 leaves these files behind, so this is not a reference-mode test): an ipc
 * socket file is removed when its endpoint is unbound and when its socket closes; a stale file left by a
 * dead process is replaced on bind; abstract names leave nothing in the filesystem; the file's mode follows
 * the umask, so access can be limited with file permissions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <zmq.h>

#include "unit.h"

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int main(void)
{
    char path[108], ep[128];
    snprintf(path, sizeof path, "/tmp/zinc-unit-ipc-%d", (int)getpid());
    snprintf(ep, sizeof ep, "ipc://%s", path);
    unlink(path);
    void *ctx = zmq_ctx_new();

    /* a stale socket file (bound, never listened, its owner gone) is replaced */
    int stale = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    CHECK_EQ(bind(stale, (struct sockaddr *)&sun, sizeof sun), 0);
    close(stale);
    CHECK(exists(path));

    mode_t old = umask(077);
    void *s = zmq_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(s, ep), 0);
    umask(old);
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK_EQ(st.st_mode & 077, 0);   /* group and others shut out by the umask */

    CHECK_EQ(zmq_unbind(s, ep), 0);
    CHECK(!exists(path));   /* removed on unbind, before zmq_unbind returned */

    CHECK_EQ(zmq_bind(s, ep), 0);
    CHECK(exists(path));
    CHECK_EQ(zmq_close(s), 0);
    CHECK(!exists(path));   /* removed on close */

    /* abstract namespace: works, and touches no file */
    char abstract[64];
    snprintf(abstract, sizeof abstract, "ipc://@zinc-unit-%d", (int)getpid());
    void *a = zmq_socket(ctx, ZMQ_PULL);
    void *b = zmq_socket(ctx, ZMQ_PUSH);
    CHECK_EQ(zmq_bind(a, abstract), 0);
    CHECK_EQ(zmq_connect(b, abstract), 0);
    CHECK_EQ(zmq_send(b, "abc", 3, 0), 3);
    char buf[8];
    CHECK_EQ(zmq_recv(a, buf, sizeof buf, 0), 3);
    zmq_close(b);
    zmq_close(a);

    zmq_ctx_term(ctx);
    return unit_summary("test_ipc_cleanup");
}
