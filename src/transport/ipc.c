/* ipc:// over Unix domain stream sockets: filesystem paths (mode from the umask, a stale file replaced on
 * bind, the file removed when the listener closes), the abstract namespace ("ipc://@name"), and a "*" address
 * which binds a fresh path under the temporary directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/options.h"
#include "core/socket.h"
#include "transport/transport.h"

/* Fills sun from a path; "@name" is abstract (leading NUL). Returns the address length, -EINVAL for an
 * empty path or abstract name, -ENAMETOOLONG when it does not fit sun_path with a NUL (as libzmq). */
static int ipc_sockaddr(const char *path, struct sockaddr_un *sun)
{
    size_t len = strlen(path);
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    if (len == 0 || strcmp(path, "@") == 0)
        return -EINVAL;
    if (len >= sizeof sun->sun_path)
        return -ENAMETOOLONG;
    memcpy(sun->sun_path, path, len);
    if (path[0] == '@')
        sun->sun_path[0] = 0;
    return (int)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
}

/* "ipc://path", "ipc://@name" (abstract), or "ipc://" for an unnamed socket (a connecting peer's). */
static void ipc_format(struct sockaddr_un *sun, socklen_t len, char *buf, size_t cap)
{
    size_t n = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    if (n > 0 && sun->sun_path[0] == 0) {
        snprintf(buf, cap, "ipc://@%.*s", (int)(n - 1), sun->sun_path + 1);
    } else {
        if (n < sizeof sun->sun_path)
            sun->sun_path[n] = 0;
        sun->sun_path[sizeof sun->sun_path - 1] = 0;
        snprintf(buf, cap, "ipc://%s", sun->sun_path);
    }
}

/* ZMQ_USE_FD: the application's own bound and listening unix socket; the address string is not used, and
 * the socket file is the application's (never removed by zinc). */
static int ipc_adopt(int fd, int *fd_out, char *resolved, size_t cap)
{
    struct sockaddr_un sun;
    socklen_t len = sizeof sun;
    memset(&sun, 0, sizeof sun);
    if (getsockname(fd, (struct sockaddr *)&sun, &len) < 0)
        return -errno;
    if (sun.sun_family != AF_UNIX)
        return -EINVAL;
    int rc = stream_adopt_fd(fd);
    if (rc < 0)
        return rc;
    ipc_format(&sun, len, resolved, cap);
    *fd_out = fd;
    return 0;
}

static int ipc_listen(const char *addr, const struct options *o, int *fd_out, char *resolved, size_t cap)
{
    if (strcmp(addr, "@") == 0)
        return -EINVAL;   /* refused even with ZMQ_USE_FD, as libzmq */
    if (o->use_fd >= 0)
        return ipc_adopt(o->use_fd, fd_out, resolved, cap);
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (strcmp(addr, "*") == 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/zinc-ipc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        int tfd = mkstemp(path);
        if (tfd < 0)
            return -errno;
        close(tfd);
        unlink(path);
    } else {
        if (strlen(addr) >= sizeof path)
            return -ENAMETOOLONG;
        strcpy(path, addr);
    }
    struct sockaddr_un sun;
    int len = ipc_sockaddr(path, &sun);
    if (len < 0)
        return len;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (path[0] != '@') {
        /* A socket file left by a dead process would make bind fail: replace it, as libzmq does. */
        struct stat st;
        if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
            unlink(path);
    }
    if (bind(fd, (struct sockaddr *)&sun, (socklen_t)len) < 0 || listen(fd, o->backlog) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    snprintf(resolved, cap, "ipc://%s", path);
    *fd_out = fd;
    return 0;
}

static int ipc_connect(const char *addr, const struct options *o, int *fd_out)
{
    (void)o;
    struct sockaddr_un sun;
    int len = ipc_sockaddr(addr, &sun);
    if (len < 0)
        return len;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    *fd_out = fd;
    if (connect(fd, (struct sockaddr *)&sun, (socklen_t)len) == 0)
        return 0;
    if (errno == EINPROGRESS || errno == EAGAIN)
        return -EINPROGRESS;
    int rc = -errno;
    close(fd);   /* *fd_out keeps its number: the conn reports it CLOSED, as libzmq does */
    return rc;
}

static void ipc_tune(int fd, const struct options *o)
{
    if (o->sndbuf >= 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof o->sndbuf);
    if (o->rcvbuf >= 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof o->rcvbuf);
}

/* "Peer-Address" as libzmq gives it for ipc: "localhost:<uid>:<gid>:<pid>" of the peer process. */
static void ipc_peer_address(int fd, char *buf, size_t cap)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
        snprintf(buf, cap, "localhost:%u:%u:%d", (unsigned)cred.uid, (unsigned)cred.gid, (int)cred.pid);
    else
        snprintf(buf, cap, "localhost");
}

static void ipc_uri(int fd, bool local, char *buf, size_t cap)
{
    struct sockaddr_un sun;
    socklen_t len = sizeof sun;
    memset(&sun, 0, sizeof sun);
    buf[0] = 0;
    struct sockaddr *sa = (struct sockaddr *)&sun;
    int rc = local ? getsockname(fd, sa, &len) : getpeername(fd, sa, &len);
    if (rc == 0 && sun.sun_family == AF_UNIX)
        ipc_format(&sun, len, buf, cap);
}

static void ipc_unlisten(const char *resolved)
{
    const char *path = resolved + strlen("ipc://");
    if (path[0] != '@')
        unlink(path);
}

static int ipc_check_connect(const char *addr, const struct options *o)
{
    (void)o;
    struct sockaddr_un sun;
    int rc = ipc_sockaddr(addr, &sun);   /* "*" is a relative path here, as in libzmq */
    return rc < 0 ? rc : 0;
}

const struct stream_ops stream_ipc = {
    .listen = ipc_listen,
    .connect = ipc_connect,
    .tune = ipc_tune,
    .peer_address = ipc_peer_address,
    .uri = ipc_uri,
    .unlisten = ipc_unlisten,
    .check_connect = ipc_check_connect,
};

static int ipc_bind(struct socket *s, const char *addr, struct endpoint *ep)
{
    return stream_bind(s, &stream_ipc, "ipc", addr, ep);
}

static int ipc_connect_ep(struct socket *s, const char *addr, struct endpoint *ep)
{
    return stream_connect(s, &stream_ipc, "ipc", addr, ep);
}

const struct transport_ops transport_ipc = {
    .scheme = "ipc",
    .stream = &stream_ipc,
    .bind = ipc_bind,
    .connect = ipc_connect_ep,
    .close = stream_close,
};
