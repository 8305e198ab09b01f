/* probe.c: `zinc probe ENDPOINT`, a network probe on plain BSD sockets (not a ZMQ socket). It connects,
 * sends the first 11 bytes of a ZMTP 3.1 greeting, reads the peer's greeting and tells which protocol the
 * peer speaks (ZMTP 3.x, 2.0, 1.0, or not ZMTP); for a 3.x peer asking for NULL it completes the READY
 * exchange to learn the peer's Socket-Type and Identity. Times are reported in microseconds from the start
 * of the connect.
 *
 * Wire references: RFC 37 (ZMTP 3.1) and RFC 23 (3.0) for the 64-byte greeting, frames and READY/ERROR;
 * RFC 23 "Backwards Interoperability" and RFC 15 (ZMTP 2.0) for older peers: a 2.0 peer answers the
 * 10-byte signature, then revision 0x01, a socket-type byte and its identity as a short frame; a 1.0 peer
 * (or 0xFF with bit 0 of byte 9 clear) starts straight with its identity frame.
 *
 * The greeting and command decoders are pure functions over (buffer, length) and check every length
 * before using it; the peer can send anything. */
#include "commands.h"
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PROBE_GREETING_LEN 64
#define PROBE_COMMAND_MAX 65536 /* larger commands are refused: no handshake command needs more */
#define PROBE_SHOW_MAX 48       /* bytes of a non-ZMTP answer quoted in the report */
#define PROBE_SETTLE_MS 200     /* how long to watch for the peer refusing our READY */
#define PROBE_READY_WAIT_MS 100 /* how long to wait for the peer's READY before sending ours */

struct probe_opts {
    const char *endpoint;
    int timeout_ms;      /* bound on each of connect, greeting and READY */
    const char *as_type; /* Socket-Type advertised in our READY */
};

struct probe {
    struct probe_opts opt;
    int fd;
    int64_t t0_us;                 /* when connect() started */
    unsigned char in[PROBE_COMMAND_MAX + 16];
    size_t have;                   /* bytes in `in` */
    int peer_closed;               /* recv returned 0 */
    int ready_sent;                /* our READY went out */
    char peer_type[16];            /* the Socket-Type of the peer's READY, "" if none */
};

/* ---- small helpers ------------------------------------------------------------------------------------ */

static int64_t probe_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t probe_elapsed(const struct probe *p)
{
    return probe_now_us() - p->t0_us;
}

static void probe_usage(FILE *out)
{
    fprintf(out,
            "Usage: zinc probe [--timeout MS] [--as TYPE] ENDPOINT\n"
            "\n"
            "Connects to ENDPOINT (tcp://HOST:PORT or ipc://PATH) with a plain socket, sends a ZMTP 3.1\n"
            "greeting (NULL mechanism, as-server 0) and reports what the peer answers: its ZMTP version\n"
            "(3.x, 2.0, 1.0 or not ZMTP), the mechanism it asks for, and for NULL its Socket-Type and\n"
            "Identity from the READY exchange. Times are microseconds since the connect started.\n"
            "\n"
            "  --timeout MS  bound on the connect, the greeting and READY each (default 2000)\n"
            "  --as TYPE     Socket-Type advertised in our READY (default DEALER); a peer whose type is\n"
            "                incompatible closes the connection, which the probe reports\n"
            "  --help        this text\n"
            "\n"
            "Exit status: 0 when a ZMTP peer answered, 1 otherwise, 2 for a usage error.\n");
}

/* Writes up to n bytes of data as a quoted, escaped string (for answers that are not ZMTP). */
static void probe_quote(const unsigned char *data, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = data[i];
        if (c == '\r' || c == '\n')
            o += (size_t)snprintf(out + o, cap - o, "\\%c", c == '\r' ? 'r' : 'n');
        else if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    out[o < cap ? o : cap - 1] = '\0';
}

/* ---- the pure decoders ---------------------------------------------------------------------------- */

enum greet_kind {
    GREET_NEED_MORE,
    GREET_ZMTP3,    /* 64-byte greeting, revision >= 3 */
    GREET_ZMTP2,    /* signature, revision 1, socket type, identity frame */
    GREET_ZMTP1,    /* an identity frame with no signature */
    GREET_NOT_ZMTP
};

struct greeting {
    int major, minor;
    char mechanism[21];  /* NUL-terminated, printable */
    int as_server;
    int socket_type;     /* ZMTP 2.0: the socket type byte */
    size_t identity_len; /* ZMTP 1.0 / 2.0: the identity frame's body length */
    size_t consumed;     /* bytes of greeting */
};

/* ZMTP/1.0 or 2.0 short identity frame at buf: [len][flags][body], len counting the flags byte (1.0) or
 * [flags][len][body] (2.0). Returns the frame's total size, 0 if more is needed, -1 if malformed. */
static long greet_v1_identity(const unsigned char *buf, size_t len)
{
    if (len < 2)
        return 0;
    if (buf[0] == 0 || buf[1] != 0x00)  /* 1.0: length includes the flags byte; flags must be 0 */
        return -1;
    size_t total = 1 + (size_t)buf[0];
    return len < total ? 0 : (long)total;
}

/* A 3.x greeting (64 bytes at buf, revision >= 3): version, mechanism, as-server. */
static enum greet_kind greet_v3(const unsigned char *buf, size_t len, struct greeting *g)
{
    if (len < PROBE_GREETING_LEN)
        return GREET_NEED_MORE;
    g->major = buf[10];
    g->minor = buf[11];
    size_t n = 0;
    while (n < 20 && buf[12 + n] != 0) {
        unsigned char c = buf[12 + n];
        if (c < 0x20 || c >= 0x7F)
            return GREET_NOT_ZMTP;
        g->mechanism[n++] = (char)c;
    }
    g->mechanism[n] = '\0';
    g->as_server = buf[32];
    g->consumed = PROBE_GREETING_LEN;
    return GREET_ZMTP3;
}

/* A 2.0 greeting: signature, revision 1, socket type, identity as [flags 0][len][body] (RFC 15). */
static enum greet_kind greet_v2(const unsigned char *buf, size_t len, struct greeting *g)
{
    if (len < 14)
        return GREET_NEED_MORE;
    if (buf[12] != 0x00)   /* the identity frame is final-short */
        return GREET_NOT_ZMTP;
    size_t total = 14 + (size_t)buf[13];
    if (len < total)
        return GREET_NEED_MORE;
    g->major = 2;
    g->socket_type = buf[11];
    g->identity_len = buf[13];
    g->consumed = total;
    return GREET_ZMTP2;
}

/* Decides what the peer speaks from the bytes received so far (RFC 23, Backwards Interoperability). */
static enum greet_kind greet_decode(const unsigned char *buf, size_t len, struct greeting *g)
{
    memset(g, 0, sizeof *g);
    if (len == 0)
        return GREET_NEED_MORE;
    if (buf[0] != 0xFF) {
        long n = greet_v1_identity(buf, len);
        if (n < 0)
            return GREET_NOT_ZMTP;
        if (n == 0)
            return GREET_NEED_MORE;
        g->major = 1;
        g->identity_len = (size_t)n - 2;
        g->consumed = (size_t)n;
        return GREET_ZMTP1;
    }
    if (len < 10)
        return GREET_NEED_MORE;
    if (!(buf[9] & 0x01))   /* a 1.0 long identity frame: 0xFF, 8-byte length, flags */
        return buf[9] == 0x00 ? GREET_ZMTP1 : GREET_NOT_ZMTP;
    if (len < 11)
        return GREET_NEED_MORE;
    if (buf[10] >= 3)
        return greet_v3(buf, len, g);
    if (buf[10] == 1)
        return greet_v2(buf, len, g);
    return GREET_NOT_ZMTP;
}

enum cmd_status { CMD_NEED_MORE, CMD_OK, CMD_MESSAGE, CMD_BAD };

struct command {
    const unsigned char *name; /* points into the buffer */
    size_t name_len;
    const unsigned char *data; /* after the name */
    size_t data_len;
    size_t consumed;           /* frame size */
};

/* One ZMTP 3.x frame at buf (RFC 37 "Framing"). CMD_MESSAGE for a message frame (consumed set),
 * CMD_BAD for a malformed or oversized command. */
static enum cmd_status cmd_decode(const unsigned char *buf, size_t len, struct command *c)
{
    if (len < 2)
        return CMD_NEED_MORE;
    unsigned flags = buf[0];
    if (flags & 0xF8)
        return CMD_BAD;
    size_t hdr = (flags & 0x02) ? 9 : 2;
    if (len < hdr)
        return CMD_NEED_MORE;
    uint64_t size = buf[1];
    if (flags & 0x02) {
        size = 0;
        for (int i = 1; i <= 8; i++)
            size = (size << 8) | buf[i];
    }
    if (size > PROBE_COMMAND_MAX)
        return CMD_BAD;
    if (len < hdr + size)
        return CMD_NEED_MORE;
    c->consumed = hdr + (size_t)size;
    if (!(flags & 0x04))
        return CMD_MESSAGE;
    const unsigned char *body = buf + hdr;
    if (size < 1 || (size_t)body[0] + 1 > size)
        return CMD_BAD;
    c->name = body + 1;
    c->name_len = body[0];
    c->data = body + 1 + body[0];
    c->data_len = (size_t)size - 1 - body[0];
    return CMD_OK;
}

static int cmd_is(const struct command *c, const char *name)
{
    size_t n = strlen(name);
    return c->name_len == n && memcmp(c->name, name, n) == 0;
}

/* Calls fn for each metadata property of a READY body (RFC 37: name-len, name, 4-byte value-len, value).
 * Returns 0, or -1 if the metadata is malformed. */
static int meta_each(const unsigned char *d, size_t len,
                     void (*fn)(const unsigned char *, size_t, const unsigned char *, size_t, void *), void *arg)
{
    size_t at = 0;
    while (at < len) {
        size_t nlen = d[at];
        if (nlen == 0 || len - at < 1 + nlen + 4)
            return -1;
        const unsigned char *name = d + at + 1;
        const unsigned char *v = name + nlen;
        size_t vlen = ((size_t)v[0] << 24) | ((size_t)v[1] << 16) | ((size_t)v[2] << 8) | v[3];
        at += 1 + nlen + 4;
        if (vlen > len - at)
            return -1;
        fn(name, nlen, d + at, vlen, arg);
        at += vlen;
    }
    return 0;
}

/* ---- connecting ----------------------------------------------------------------------------------- */

/* Waits until fd has `events` or the deadline; returns 1 ready, 0 timeout, -1 error. */
static int probe_wait(int fd, short events, int64_t deadline_us)
{
    for (;;) {
        int64_t left = deadline_us - probe_now_us();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = fd, .events = events};
        int rc = poll(&pfd, 1, (int)((left + 999) / 1000));
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

/* "connect: [::1]:5555 refused (nothing listens there)": the address, for a name with several. */
static void probe_report_connect_error(const struct sockaddr *addr, socklen_t alen, int err, int timeout_ms)
{
    char host[NI_MAXHOST] = "", port[NI_MAXSERV] = "";
    if (addr->sa_family != AF_UNIX)
        (void)getnameinfo(addr, alen, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    int v6 = addr->sa_family == AF_INET6;
    if (host[0])
        printf("connect:      %s%s%s:%s ", v6 ? "[" : "", host, v6 ? "]" : "", port);
    else
        printf("connect:      ");
    if (err == ETIMEDOUT)
        printf("timed out after %d ms\n", timeout_ms);
    else
        printf("%s\n", err == ECONNREFUSED ? "refused (nothing listens there)" : strerror(err));
}

/* Connects a non-blocking socket to addr within the timeout; returns the fd or -1 (message printed). */
static int probe_connect_addr(const struct sockaddr *addr, socklen_t alen, int timeout_ms)
{
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "zinc probe: socket: %s\n", strerror(errno));
        return -1;
    }
    int err = 0;
    if (connect(fd, addr, alen) < 0) {
        err = errno;
        if (err == EINPROGRESS) {
            int rc = probe_wait(fd, POLLOUT, probe_now_us() + (int64_t)timeout_ms * 1000);
            socklen_t elen = sizeof err;
            if (rc == 0)
                err = ETIMEDOUT;
            else if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
                err = errno;
        }
    }
    if (err) {
        probe_report_connect_error(addr, alen, err, timeout_ms);
        close(fd);
        return -1;
    }
    if (addr->sa_family != AF_UNIX) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* ipc://PATH: a Unix-domain stream socket. */
static int probe_connect_ipc(const char *path, int timeout_ms)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun.sun_path) {
        zinc_usage("probe", "ipc path too long (max %zu bytes)", sizeof sun.sun_path - 1);
        return -2;
    }
    memcpy(sun.sun_path, path, strlen(path));
    if (path[0] == '@')
        sun.sun_path[0] = '\0';   /* abstract namespace, as zmq writes it */
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    return probe_connect_addr((struct sockaddr *)&sun, alen, timeout_ms);
}

/* Splits "HOST:PORT" (HOST may be [v6]) into host and port; returns 0 or -1. */
static int probe_split_hostport(const char *hp, char *host, size_t hcap, const char **port)
{
    const char *colon = strrchr(hp, ':');
    if (!colon || colon[1] == '\0')
        return -1;
    const char *h = hp;
    size_t hlen = (size_t)(colon - hp);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= hcap)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = colon + 1;
    return 0;
}

/* tcp://HOST:PORT: tries each address HOST resolves to. */
static int probe_connect_tcp(const char *hostport, int timeout_ms)
{
    char host[256];
    const char *port;
    if (probe_split_hostport(hostport, host, sizeof host, &port) < 0) {
        zinc_usage("probe", "'%s' is not HOST:PORT (e.g. tcp://127.0.0.1:5555)", hostport);
        return -2;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        printf("connect:      cannot resolve %s port %s: %s\n", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = probe_connect_addr(ai->ai_addr, ai->ai_addrlen, timeout_ms);
    freeaddrinfo(res);
    return fd;
}

/* Returns the connected fd, -1 if the connection failed (reported), -2 for a bad endpoint (usage). */
static int probe_connect(struct probe *p)
{
    const char *ep = p->opt.endpoint;
    if (strncmp(ep, "tcp://", 6) == 0)
        return probe_connect_tcp(ep + 6, p->opt.timeout_ms);
    if (strncmp(ep, "ipc://", 6) == 0 && ep[6])
        return probe_connect_ipc(ep + 6, p->opt.timeout_ms);
    zinc_usage("probe", "ENDPOINT must be tcp://HOST:PORT or ipc://PATH, not '%s'", ep);
    return -2;
}

/* ---- I/O with deadlines --------------------------------------------------------------------------- */

static int probe_send(struct probe *p, const void *data, size_t len)
{
    const unsigned char *b = data;
    int64_t deadline = probe_now_us() + (int64_t)p->opt.timeout_ms * 1000;
    while (len > 0) {
        ssize_t n = send(p->fd, b, len, MSG_NOSIGNAL);
        if (n > 0) {
            b += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            if (probe_wait(p->fd, POLLOUT, deadline) <= 0)
                return -1;
        } else if (n < 0 && errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

/* Reads more bytes into p->in before the deadline. Returns >0 bytes read, 0 peer closed, -1 timeout,
 * -2 error (errno kept). */
static int probe_read_more(struct probe *p, int64_t deadline)
{
    if (p->have >= sizeof p->in)
        return -2;
    for (;;) {
        int rc = probe_wait(p->fd, POLLIN, deadline);
        if (rc <= 0)
            return rc == 0 ? -1 : -2;
        ssize_t n = recv(p->fd, p->in + p->have, sizeof p->in - p->have, 0);
        if (n > 0) {
            p->have += (size_t)n;
            return (int)n;
        }
        if (n == 0) {
            p->peer_closed = 1;
            return 0;
        }
        if (errno != EAGAIN && errno != EINTR)
            return -2;
    }
}

static void probe_drop(struct probe *p, size_t n)
{
    memmove(p->in, p->in + n, p->have - n);
    p->have -= n;
}

/* ---- the conversation ----------------------------------------------------------------------------- */

static const char *const probe_type_names[] = {"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER",
                                               "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"};

static const char *probe_type_name(int t)
{
    return t >= 0 && t < (int)(sizeof probe_type_names / sizeof *probe_type_names) ? probe_type_names[t] : "?";
}

/* Says why the greeting did not arrive (rc from probe_read_more) and what came instead. */
static void probe_report_no_greeting(const struct probe *p, int rc)
{
    char shown[PROBE_SHOW_MAX * 4 + 1];
    probe_quote(p->in, p->have < PROBE_SHOW_MAX ? p->have : PROBE_SHOW_MAX, shown, sizeof shown);
    if (p->have == 0 && rc == 0)
        printf("greeting:     none: the peer closed the connection without a word (not a ZMTP peer?)\n");
    else if (p->have == 0 && rc == -1)
        printf("greeting:     none within %d ms (not a ZMTP peer?)\n", p->opt.timeout_ms);
    else if (p->have == 0)
        printf("greeting:     read failed: %s\n", strerror(errno));
    else
        printf("greeting:     incomplete after %zu bytes ('%s'): %s\n", p->have, shown,
               rc == 0 ? "peer closed" : rc == -1 ? "timed out" : strerror(errno));
}

/* Reads the peer's greeting, sending the rest of ours once it says 3.x. Returns the kind (NOT_ZMTP and
 * NEED_MORE reported here). */
static enum greet_kind probe_greeting(struct probe *p, struct greeting *g)
{
    static const unsigned char rest[PROBE_GREETING_LEN - 11] = {1, 'N', 'U', 'L', 'L'};
    int64_t deadline = probe_now_us() + (int64_t)p->opt.timeout_ms * 1000;
    int sent_rest = 0;
    for (;;) {
        enum greet_kind k = greet_decode(p->in, p->have, g);
        if (!sent_rest && p->have >= 11 && p->in[0] == 0xFF && p->in[10] >= 3) {
            if (probe_send(p, rest, sizeof rest) < 0)
                return GREET_NEED_MORE;
            sent_rest = 1;   /* minor 1, NULL, as-server 0, filler (RFC 37 "Greeting") */
        }
        if (k == GREET_NOT_ZMTP) {
            char shown[PROBE_SHOW_MAX * 4 + 1];
            probe_quote(p->in, p->have < PROBE_SHOW_MAX ? p->have : PROBE_SHOW_MAX, shown, sizeof shown);
            printf("zmtp:         not a ZMTP peer: got '%s'%s\n", shown, p->have > PROBE_SHOW_MAX ? "..." : "");
            return k;
        }
        if (k != GREET_NEED_MORE)
            return k;
        int rc = probe_read_more(p, deadline);
        if (rc <= 0) {
            probe_report_no_greeting(p, rc);
            return GREET_NEED_MORE;
        }
    }
}

/* Our READY: Socket-Type only (RFC 37 "The NULL Security Mechanism"). */
static int probe_send_ready(struct probe *p)
{
    const char *type = p->opt.as_type;
    size_t tlen = strlen(type);
    unsigned char frame[64];
    size_t body = 1 + 5 + 1 + 11 + 4 + tlen;
    if (tlen > 16)
        return -1;
    size_t at = 0;
    frame[at++] = 0x04;
    frame[at++] = (unsigned char)body;
    frame[at++] = 5;
    memcpy(frame + at, "READY", 5), at += 5;
    frame[at++] = 11;
    memcpy(frame + at, "Socket-Type", 11), at += 11;
    frame[at++] = 0, frame[at++] = 0, frame[at++] = 0, frame[at++] = (unsigned char)tlen;
    memcpy(frame + at, type, tlen), at += tlen;
    return probe_send(p, frame, at);
}

static void probe_print_property(const unsigned char *name, size_t nlen, const unsigned char *v, size_t vlen,
                                 void *arg)
{
    struct probe *p = arg;
    if (nlen == 11 && strncasecmp((const char *)name, "Socket-Type", 11) == 0 && vlen < sizeof p->peer_type) {
        memcpy(p->peer_type, v, vlen);
        p->peer_type[vlen] = '\0';
    }
    char shown_name[256 * 4 + 1], shown_value[PROBE_SHOW_MAX * 4 + 1];
    probe_quote(name, nlen, shown_name, sizeof shown_name);
    probe_quote(v, vlen < PROBE_SHOW_MAX ? vlen : PROBE_SHOW_MAX, shown_value, sizeof shown_value);
    for (char *k = shown_name; *k; k++)
        if (*k >= 'A' && *k <= 'Z')
            *k = (char)(*k - 'A' + 'a');
    int pad = 12 - (int)strlen(shown_name);
    printf("%s:%*s %s%s\n", shown_name, pad > 0 ? pad : 0, "", vlen ? shown_value : "(empty)", vlen > PROBE_SHOW_MAX ? "..." : "");
}

/* Reports an ERROR command's reason (RFC 37: reason-len, reason). */
static void probe_print_error(const struct probe *p, const char *key, const struct command *c)
{
    char reason[256 * 4 + 1] = "";
    if (c->data_len >= 1 && (size_t)c->data[0] + 1 <= c->data_len)
        probe_quote(c->data + 1, c->data[0], reason, sizeof reason);
    printf("%-13s the peer sent ERROR '%s' after %lld us\n", key, reason, (long long)probe_elapsed(p));
}

/* Sends our READY once (see probe_read_ready for when); 0 or -1 (reported). */
static int probe_ready_once(struct probe *p)
{
    if (p->ready_sent)
        return 0;
    p->ready_sent = 1;
    if (probe_send_ready(p) == 0)
        return 0;
    printf("ready:        could not send our READY: %s\n", strerror(errno));
    return -1;
}

static void probe_report_no_ready(const struct probe *p, int rc)
{
    if (rc == 0)
        printf("ready:        none: the peer closed the connection%s%s%s\n",
               p->ready_sent ? " after our READY as " : "", p->ready_sent ? p->opt.as_type : "",
               p->ready_sent ? " (an incompatible socket type? try --as TYPE)" : "");
    else
        printf("ready:        none: %s\n", rc == -1 ? "timed out" : strerror(errno));
}

/* Reads frames until the peer's READY (printed) or ERROR. Returns 0 on READY, -1 otherwise.
 * Our READY goes out once the peer's has arrived, or after PROBE_READY_WAIT_MS without it: a peer that
 * judges our Socket-Type on receipt may hang up before sending its own, and its READY tells more. */
static int probe_read_ready(struct probe *p)
{
    int64_t deadline = probe_now_us() + (int64_t)p->opt.timeout_ms * 1000;
    int64_t send_ours_at = probe_now_us() + PROBE_READY_WAIT_MS * 1000;
    for (;;) {
        struct command c;
        enum cmd_status s = cmd_decode(p->in, p->have, &c);
        if (s == CMD_BAD || s == CMD_MESSAGE) {
            printf("ready:        malformed handshake: %s\n", s == CMD_BAD ? "bad command frame" : "a message before READY");
            return -1;
        }
        if (s == CMD_OK && cmd_is(&c, "READY")) {
            long long us = (long long)probe_elapsed(p);
            if (meta_each(c.data, c.data_len, probe_print_property, p) < 0)
                printf("metadata:     malformed\n");
            printf("ready:        %lld us\n", us);
            probe_drop(p, c.consumed);
            return probe_ready_once(p);
        }
        if (s == CMD_OK && cmd_is(&c, "ERROR")) {
            probe_print_error(p, "ready:", &c);
            return -1;
        }
        if (s == CMD_OK) {
            probe_drop(p, c.consumed);   /* some other command: not ours to judge */
            continue;
        }
        int rc = probe_read_more(p, p->ready_sent || send_ours_at > deadline ? deadline : send_ours_at);
        if (rc == -1 && !p->ready_sent && probe_now_us() < deadline) {
            if (probe_ready_once(p) < 0)
                return -1;
            continue;
        }
        if (rc <= 0) {
            probe_report_no_ready(p, rc);
            return -1;
        }
    }
}

/* A socket type that may talk to a peer of type `peer` (RFC 28/29/30/31 pairings), or NULL. */
static const char *probe_compatible_type(const char *peer)
{
    static const char *const pairs[][2] = {
        {"PAIR", "PAIR"}, {"PUB", "SUB"},     {"XPUB", "SUB"},     {"SUB", "PUB"},   {"XSUB", "PUB"},
        {"REQ", "ROUTER"}, {"REP", "DEALER"}, {"DEALER", "DEALER"}, {"ROUTER", "DEALER"},
        {"PUSH", "PULL"}, {"PULL", "PUSH"},
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
        if (strcmp(pairs[k][0], peer) == 0)
            return pairs[k][1];
    return NULL;
}

/* After both READYs, a peer that finds our Socket-Type incompatible closes the connection at once. */
static void probe_settle(struct probe *p)
{
    int64_t deadline = probe_now_us() + PROBE_SETTLE_MS * 1000;
    p->have = 0;
    int rc = probe_read_more(p, deadline);
    struct command c;
    const char *try_type = probe_compatible_type(p->peer_type);
    if (rc > 0 && cmd_decode(p->in, p->have, &c) == CMD_OK && cmd_is(&c, "ERROR"))
        probe_print_error(p, "accepted:", &c);
    else if (rc == 0 || rc == -2)
        printf("accepted:     no: the peer closed the connection after our READY as %s (try --as %s)\n",
               p->opt.as_type, try_type ? try_type : "TYPE, a type that can talk to it");
    else
        printf("accepted:     yes, as %s\n", p->opt.as_type);
}

/* A 3.x peer: mechanism, then for NULL the READY exchange. Returns the exit status. */
static int probe_zmtp3(struct probe *p, const struct greeting *g)
{
    printf("zmtp:         %d.%d\n", g->major, g->minor);
    printf("mechanism:    %s (as-server %d)\n", g->mechanism[0] ? g->mechanism : "(empty)", g->as_server);
    printf("greeting:     %lld us\n", (long long)probe_elapsed(p));
    probe_drop(p, g->consumed);
    if (strcmp(g->mechanism, "NULL") != 0) {
        printf("handshake:    not attempted: the peer wants %s, this probe speaks NULL only\n", g->mechanism);
        return 0;
    }
    if (probe_read_ready(p) == 0)
        probe_settle(p);
    return 0;
}

/* Runs the whole probe on a connected fd; returns the exit status. */
static int probe_talk(struct probe *p)
{
    /* Signature and major version only: the rest depends on what the peer is (RFC 23). */
    static const unsigned char head[11] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3};
    if (probe_send(p, head, sizeof head) < 0) {
        printf("greeting:     could not send ours: %s\n", strerror(errno));
        return 1;
    }
    struct greeting g;
    enum greet_kind k = probe_greeting(p, &g);
    if (k == GREET_ZMTP3)
        return probe_zmtp3(p, &g);
    if (k == GREET_ZMTP2) {
        printf("zmtp:         2.0 (revision 1)\n");
        printf("socket-type:  %s (%d)\n", probe_type_name(g.socket_type), g.socket_type);
        printf("identity:     %zu bytes\n", g.identity_len);
        printf("greeting:     %lld us\n", (long long)probe_elapsed(p));
        return 0;
    }
    if (k == GREET_ZMTP1) {
        printf("zmtp:         1.0 (no signature; an identity frame of %zu bytes)\n", g.identity_len);
        printf("greeting:     %lld us\n", (long long)probe_elapsed(p));
        return 0;
    }
    return 1;
}

/* ---- the command ------------------------------------------------------------------------------------ */

static int probe_parse_type(const char *s, const char **out)
{
    static char upper[16];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof upper)
        return -1;
    for (size_t i = 0; i <= n; i++)
        upper[i] = (char)((s[i] >= 'a' && s[i] <= 'z') ? s[i] - 'a' + 'A' : s[i]);
    for (size_t t = 0; t < sizeof probe_type_names / sizeof *probe_type_names; t++)
        if (strcmp(upper, probe_type_names[t]) == 0 && strcmp(upper, "STREAM") != 0) {
            *out = upper;
            return 0;
        }
    return -1;
}

/* Returns 0, 1 for --help, or 2 for a usage error (message printed). */
static int probe_parse_args(int argc, char **argv, struct probe_opts *o)
{
    o->timeout_ms = 2000;
    o->as_type = "DEALER";
    o->endpoint = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        long long ms;
        if (zinc_is_help(a))
            return 1;
        if (zinc_flag_is(a, "--timeout")) {
            if (!(v = zinc_flag_value("probe", argc, argv, &i, "2000")) ||
                zinc_parse_ll("probe", "--timeout", v, 1, 3600 * 1000, &ms) < 0)
                return 2;
            o->timeout_ms = (int)ms;
        } else if (zinc_flag_is(a, "--as")) {
            if (!(v = zinc_flag_value("probe", argc, argv, &i, "DEALER")))
                return 2;
            if (probe_parse_type(v, &o->as_type) < 0)
                return zinc_usage("probe", "--as %s: not a socket type (DEALER, ROUTER, SUB, ...)", v), 2;
        } else if (a[0] == '-' && a[1]) {
            return zinc_usage("probe", "%s: unknown option", a), 2;
        } else if (o->endpoint) {
            return zinc_usage("probe", "one ENDPOINT only ('%s' and '%s')", o->endpoint, a), 2;
        } else {
            o->endpoint = a;
        }
    }
    if (!o->endpoint)
        return zinc_usage("probe", "missing ENDPOINT (e.g. zinc probe tcp://127.0.0.1:5555)"), 2;
    if (strncmp(o->endpoint, "tcp://", 6) != 0 && (strncmp(o->endpoint, "ipc://", 6) != 0 || !o->endpoint[6]))
        return zinc_usage("probe", "ENDPOINT must be tcp://HOST:PORT or ipc://PATH, not '%s'", o->endpoint), 2;
    return 0;
}

int zinc_cmd_probe(int argc, char **argv)
{
    struct probe *p = calloc(1, sizeof *p);
    if (!p) {
        fprintf(stderr, "zinc probe: out of memory\n");
        return 1;
    }
    int rc = probe_parse_args(argc, argv, &p->opt);
    if (rc == 1) {
        probe_usage(stdout);
        rc = 0;
        goto out_free;
    }
    if (rc != 0)
        goto out_free;
    printf("endpoint:     %s\n", p->opt.endpoint);
    p->t0_us = probe_now_us();
    p->fd = probe_connect(p);
    if (p->fd < 0) {
        rc = p->fd == -2 ? 2 : 1;
        goto out_free;
    }
    printf("connect:      %lld us\n", (long long)probe_elapsed(p));
    fflush(stdout);
    rc = probe_talk(p);
    close(p->fd);
out_free:
    free(p);
    return rc;
}
