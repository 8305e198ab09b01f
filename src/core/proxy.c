/* The proxy: forwards whole messages frontend <-> backend, copying each frame to the capture socket, and
 * obeys PAUSE / RESUME / TERMINATE / STATISTICS on the control socket (libzmq's zmq_proxy_steerable). */
#include "core/proxy.h"

#include <errno.h>
#include <string.h>

#include <zmq.h>

#include "core/msg.h"
#include "core/poll.h"
#include "core/socket.h"

struct proxy_stats {
    uint64_t msgs_in, bytes_in, msgs_out, bytes_out;
};

/* Moves one whole message from -> to, copying frames to capture. */
static int proxy_forward(struct socket *from, struct socket *to, struct socket *capture,
                         struct proxy_stats *from_stats, struct proxy_stats *to_stats)
{
    for (;;) {
        struct msg m;
        int rc = socket_recv(from, &m, 0);
        if (rc < 0)
            return rc;
        bool more = msg_more(&m);
        size_t size = msg_size(&m);
        if (capture) {
            struct msg copy;
            msg_init(&copy);
            msg_copy(&copy, &m);
            if (socket_send(capture, &copy, more ? ZMQ_SNDMORE : 0) < 0)
                msg_close(&copy);
        }
        rc = socket_send(to, &m, more ? ZMQ_SNDMORE : 0);
        if (rc < 0) {
            msg_close(&m);
            return rc;
        }
        from_stats->bytes_in += size;
        to_stats->bytes_out += size;
        if (!more) {
            from_stats->msgs_in++;
            to_stats->msgs_out++;
            return 0;
        }
    }
}

static int send_u64(struct socket *s, uint64_t v, bool more)
{
    struct msg m;
    msg_init_size(&m, sizeof v);
    memcpy(msg_data(&m), &v, sizeof v);
    int rc = socket_send(s, &m, more ? ZMQ_SNDMORE : 0);
    if (rc < 0)
        msg_close(&m);
    return rc;
}

enum proxy_state { PROXY_ACTIVE, PROXY_PAUSED, PROXY_TERMINATED };

static int proxy_control(struct socket *control, enum proxy_state *state, const struct proxy_stats *front,
                         const struct proxy_stats *back)
{
    struct msg m;
    int rc = socket_recv(control, &m, 0);
    if (rc < 0)
        return rc;
    size_t n = msg_size(&m);
    const char *cmd = msg_data(&m);
    if (n == 5 && memcmp(cmd, "PAUSE", 5) == 0)
        *state = PROXY_PAUSED;
    else if (n == 6 && memcmp(cmd, "RESUME", 6) == 0)
        *state = PROXY_ACTIVE;
    else if (n == 9 && memcmp(cmd, "TERMINATE", 9) == 0)
        *state = PROXY_TERMINATED;
    else if (n == 10 && memcmp(cmd, "STATISTICS", 10) == 0) {
        uint64_t v[8] = {front->msgs_in, front->bytes_in, front->msgs_out, front->bytes_out,
                         back->msgs_in,  back->bytes_in,  back->msgs_out,  back->bytes_out};
        for (int i = 0; i < 8 && rc == 0; i++)
            rc = send_u64(control, v[i], i < 7);
    }
    msg_close(&m);
    return rc;
}

int proxy_run(struct socket *frontend, struct socket *backend, struct socket *capture, struct socket *control)
{
    struct proxy_stats front = {0}, back = {0};
    enum proxy_state state = PROXY_ACTIVE;
    zmq_pollitem_t items[3] = {
        {.socket = frontend, .events = ZMQ_POLLIN},
        {.socket = backend, .events = ZMQ_POLLIN},
        {.socket = control, .events = ZMQ_POLLIN},
    };
    int nitems = control ? 3 : 2;
    while (state != PROXY_TERMINATED) {
        if (state == PROXY_PAUSED) {
            items[0].events = items[1].events = 0;
        } else {
            items[0].events = items[1].events = ZMQ_POLLIN;
        }
        int rc = poll_items(items, nitems, -1);
        if (rc < 0)
            return rc;
        if (control && (items[2].revents & ZMQ_POLLIN)) {
            rc = proxy_control(control, &state, &front, &back);
            if (rc < 0)
                return rc;
            continue;
        }
        if (state == PROXY_ACTIVE && (items[0].revents & ZMQ_POLLIN)) {
            rc = proxy_forward(frontend, backend, capture, &front, &back);
            if (rc < 0)
                return rc;
        }
        if (state == PROXY_ACTIVE && frontend != backend && (items[1].revents & ZMQ_POLLIN)) {
            rc = proxy_forward(backend, frontend, capture, &back, &front);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}
