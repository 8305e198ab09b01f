/* zinc_soak's fault relay: a TCP forwarder between a peer and the hub's bound port that cuts every
 * connection of a relay every 3-10 s (an event on its lane, soak.h invariant 3) and stalls all forwarding for
 * 0.2-1.5 s every 2-6 s (no event: a stall must lose nothing). One thread serves every relay.
 * Invariants: each connection is a pair (peer side, hub side) closed together; the relay writes with
 * MSG_NOSIGNAL, so a killed peer never raises SIGPIPE in the hub. */
#include "soak.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RELAY_MAX 4
#define RELAY_CONNS 8

struct relay_conn {
    int peer_fd;   /* accepted from the peer; -1 when the slot is free */
    int hub_fd;    /* connected to the hub */
};

struct relay {
    struct soak_lane *lane;
    int listen_fd;
    int target_port;
    uint64_t next_cut_ns;
    struct relay_conn conns[RELAY_CONNS];
};

static struct relay relays[RELAY_MAX];
static int relay_count;
static pthread_t relay_thread;
static int relay_running;
static uint64_t relay_rng = 0x5eed;

static uint64_t relay_between_ms(uint64_t lo, uint64_t hi)
{
    return (lo + soak_rand(&relay_rng) % (hi - lo + 1)) * 1000000ull;
}

int soak_relay_add(struct soak_lane *l, int target_port)
{
    if (relay_count == RELAY_MAX)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) || listen(fd, 16) ||
        getsockname(fd, (struct sockaddr *)&sin, &len)) {
        perror("zinc_soak relay");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct relay *r = &relays[relay_count++];
    r->lane = l;
    r->listen_fd = fd;
    r->target_port = target_port;
    for (int i = 0; i < RELAY_CONNS; i++)
        r->conns[i].peer_fd = r->conns[i].hub_fd = -1;
    return ntohs(sin.sin_port);
}

static void relay_close(struct relay_conn *c)
{
    if (c->peer_fd >= 0) {
        close(c->peer_fd);
        close(c->hub_fd);
    }
    c->peer_fd = c->hub_fd = -1;
}

static void relay_accept(struct relay *r)
{
    int a = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (a < 0)
        return;
    int b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                              .sin_port = htons((uint16_t)r->target_port)};
    if (b < 0 || connect(b, (struct sockaddr *)&sin, sizeof sin) != 0) {
        close(a);
        if (b >= 0)
            close(b);
        return;
    }
    for (int i = 0; i < RELAY_CONNS; i++)
        if (r->conns[i].peer_fd < 0) {
            r->conns[i].peer_fd = a;
            r->conns[i].hub_fd = b;
            return;
        }
    close(a);
    close(b);
}

/* Copies what `from` has to `to`; -1 when either side is gone. */
static int relay_copy(int from, int to)
{
    static char buf[65536];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0)
        return n < 0 && errno == EINTR ? 0 : -1;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += w;
    }
    return 0;
}

static void relay_cut(struct relay *r, uint64_t now)
{
    int any = 0;
    for (int i = 0; i < RELAY_CONNS; i++)
        any |= r->conns[i].peer_fd >= 0;
    if (any) {
        atomic_store(&r->lane->last_event_ns, now);   /* before the close: what is lost was sent before */
        atomic_fetch_add(&r->lane->cuts, 1);
    }
    for (int i = 0; i < RELAY_CONNS; i++)
        relay_close(&r->conns[i]);
    r->next_cut_ns = now + relay_between_ms(3000, 10000);
}

static void relay_poll_once(int stalled)
{
    struct pollfd pfd[RELAY_MAX * (1 + 2 * RELAY_CONNS)];
    struct relay_conn *owner[RELAY_MAX * (1 + 2 * RELAY_CONNS)];
    int tag[RELAY_MAX * (1 + 2 * RELAY_CONNS)];   /* listener: its relay; connection: 1 peer side, 0 hub */
    nfds_t n = 0;
    for (int i = 0; i < relay_count; i++) {
        pfd[n] = (struct pollfd){relays[i].listen_fd, POLLIN, 0};
        owner[n] = NULL;
        tag[n++] = i;
        for (int c = 0; !stalled && c < RELAY_CONNS; c++) {
            struct relay_conn *rc = &relays[i].conns[c];
            if (rc->peer_fd < 0)
                continue;
            pfd[n] = (struct pollfd){rc->peer_fd, POLLIN, 0};
            owner[n] = rc;
            tag[n++] = 1;
            pfd[n] = (struct pollfd){rc->hub_fd, POLLIN, 0};
            owner[n] = rc;
            tag[n++] = 0;
        }
    }
    if (poll(pfd, n, 10) <= 0)
        return;
    for (nfds_t k = 0; k < n; k++) {
        if (!pfd[k].revents)
            continue;
        struct relay_conn *rc = owner[k];
        if (!rc) {
            relay_accept(&relays[tag[k]]);
        } else if (rc->peer_fd >= 0) {
            int from = tag[k] ? rc->peer_fd : rc->hub_fd, to = tag[k] ? rc->hub_fd : rc->peer_fd;
            if (relay_copy(from, to) < 0)
                relay_close(rc);
        }
    }
}

static void *relay_run(void *arg)
{
    (void)arg;
    uint64_t now = soak_now_ns(), stall_until = 0, next_stall = now + relay_between_ms(2000, 6000);
    for (int i = 0; i < relay_count; i++)
        relays[i].next_cut_ns = now + relay_between_ms(3000, 10000);
    while (!atomic_load(&soak_stop)) {
        now = soak_now_ns();
        if (now >= next_stall) {
            stall_until = now + relay_between_ms(200, 1500);
            next_stall = stall_until + relay_between_ms(2000, 6000);
        }
        for (int i = 0; i < relay_count; i++)
            if (now >= relays[i].next_cut_ns)
                relay_cut(&relays[i], now);
        relay_poll_once(now < stall_until);
    }
    for (int i = 0; i < relay_count; i++) {
        for (int c = 0; c < RELAY_CONNS; c++)
            relay_close(&relays[i].conns[c]);
        close(relays[i].listen_fd);
    }
    return NULL;
}

int soak_relay_start(void)
{
    if (relay_count == 0)
        return 0;
    relay_running = pthread_create(&relay_thread, NULL, relay_run, NULL) == 0;
    return relay_running ? 0 : -1;
}

void soak_relay_stop(void)
{
    if (relay_running)
        pthread_join(relay_thread, NULL);
    relay_running = 0;
    relay_count = 0;
}
