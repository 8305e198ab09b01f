/* Plain stream sockets for the raw floors: listen, accept, connect on a tcp:// or ipc:// endpoint, and
 * whole-buffer reads and writes that retry on EINTR. */
#include "raw.h"

#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Parse endpoint into a socket address; returns its length. */
static socklen_t raw_address(const char *endpoint, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (strncmp(endpoint, "tcp://", 6) == 0) {
        const char *colon = strrchr(endpoint, ':');
        char host[64];
        size_t host_len = (size_t)(colon - (endpoint + 6));
        if (host_len >= sizeof host)
            bench_fail("bad endpoint %s", endpoint);
        memcpy(host, endpoint + 6, host_len);
        host[host_len] = '\0';
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
            bench_fail("bad endpoint %s", endpoint);
        return sizeof *sin;
    }
    if (strncmp(endpoint, "ipc://", 6) == 0) {
        struct sockaddr_un *sun = (struct sockaddr_un *)ss;
        sun->sun_family = AF_UNIX;
        if (strlen(endpoint + 6) >= sizeof sun->sun_path)
            bench_fail("ipc path too long: %s", endpoint);
        strcpy(sun->sun_path, endpoint + 6);
        return sizeof *sun;
    }
    bench_fail("raw sockets do tcp and ipc only, not %s", endpoint);
}

static void raw_nodelay(int fd, const struct sockaddr_storage *ss)
{
    int one = 1;
    if (ss->ss_family == AF_INET && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        bench_fail("TCP_NODELAY: %s", strerror(errno));
}

int raw_listen(const char *endpoint)
{
    struct sockaddr_storage ss;
    socklen_t len = raw_address(endpoint, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    int one = 1;
    if (fd < 0)
        bench_fail("socket: %s", strerror(errno));
    if (ss.ss_family == AF_INET)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0)
        bench_fail("bind/listen %s: %s", endpoint, strerror(errno));
    return fd;
}

int raw_accept(int listener)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd;
    while ((fd = accept(listener, (struct sockaddr *)&ss, &len)) < 0 && errno == EINTR)
        len = sizeof ss;
    if (fd < 0)
        bench_fail("accept: %s", strerror(errno));
    raw_nodelay(fd, &ss);
    close(listener);
    return fd;
}

int raw_connect(const char *endpoint)
{
    struct sockaddr_storage ss;
    socklen_t len = raw_address(endpoint, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        bench_fail("socket: %s", strerror(errno));
    raw_nodelay(fd, &ss);
    while (connect(fd, (struct sockaddr *)&ss, len) != 0) {
        if (errno == EISCONN)
            break; /* an interrupted connect went on in the background */
        if (errno != EINTR && errno != EALREADY)
            bench_fail("connect %s: %s", endpoint, strerror(errno));
    }
    return fd;
}

void raw_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            bench_fail("send: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

void raw_read(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = recv(fd, p, len, MSG_WAITALL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            bench_fail("recv: the other end closed the connection");
        if (n < 0)
            bench_fail("recv: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

void raw_read_polled(int fd, int wake_fd, void *buf, size_t len)
{
    struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.fd = wake_fd, .events = POLLIN}};
    while (poll(pfd, 2, -1) < 0)
        if (errno != EINTR)
            bench_fail("poll: %s", strerror(errno));
    raw_read(fd, buf, len);
}
