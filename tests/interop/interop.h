/* What the interop driver and the C peer (peer_libzmq) share: the test scripts, the line-based control
 * channel between driver and peer, and the scenario steps. interop.c is compiled twice, once against the
 * zmq.h under test (zinc, or libzmq in reference mode) for the driver and once against the system
 * /usr/include/zmq.h for peer_libzmq, so it uses nothing beyond the public C API.
 *
 * peer_pyzmq.py and PeerJeromq.java implement the same scripts and steps; README.md is the specification
 * all three follow. Change one, change all three.
 */
#ifndef ZINC_INTEROP_H
#define ZINC_INTEROP_H

#include <stddef.h>

#define INTEROP_MAX_FRAMES 16
/* Every blocking zmq call in a step gives up after this long (ZMQ_RCVTIMEO / ZMQ_SNDTIMEO). */
#define INTEROP_IO_TIMEOUT_MS 10000
/* How long a publisher repeats its sync message before giving up on the subscriber. */
#define INTEROP_SYNC_TIMEOUT_MS 10000
#define INTEROP_SYNC_REPEAT_MS 20

/* Who is talking in diagnostics: "driver" or "peer-libzmq". */
extern const char *interop_who;

/* Prints "<who>: FAIL: <text>" to stderr. Always returns -1 so callers can `return interop_fail(...)`. */
int interop_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One multipart message, owned buffers. */
struct interop_msg {
    int nframes;                               /* frames in use */
    size_t len[INTEROP_MAX_FRAMES];            /* length of each frame */
    unsigned char *data[INTEROP_MAX_FRAMES];   /* malloc'd contents (NULL for empty frames) */
};

void interop_msg_free(struct interop_msg *msg);

/* The control channel: lines of text. In the driver it is the peer's stdout (read) and stdin (write);
 * in a peer it is its own stdin (read) and stdout (write). */
struct interop_ctl {
    int rfd;          /* lines come in here */
    int wfd;          /* lines go out here */
    size_t len;       /* bytes buffered in buf */
    char buf[4096];   /* partial input */
};

int interop_ctl_send(struct interop_ctl *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1: a line (without '\n') is in line; 0: timeout; -1: end of file or error. timeout_ms < 0 waits. */
int interop_ctl_read(struct interop_ctl *ctl, char *line, size_t cap, int timeout_ms);
/* Reads one line and fails unless it is exactly want. A "FAIL ..." line is reported as such. */
int interop_ctl_expect(struct interop_ctl *ctl, const char *want, int timeout_ms);

/* "PUSH" -> ZMQ_PUSH and so on; -1 for an unknown name. */
int interop_socket_type(const char *name);

/* Options every test socket gets (timeouts), then the ones a step needs before bind/connect
 * (the dealer's routing id). 0 or -1. */
int interop_socket_setup(void *sock, const char *steps);

/* Runs the comma-separated steps in order on sock. 0 when every byte matched, else -1. */
int interop_run_steps(void *sock, struct interop_ctl *ctl, const char *steps);

/* interop_draft.c: the steps, socket types and options of the draft socket types (CLIENT, SERVER,
 * SCATTER, GATHER, CHANNEL, PEER), consulted by interop.c after its own tables. */
typedef int (*interop_step_fn)(void *sock, struct interop_ctl *ctl);
interop_step_fn interop_draft_step(const char *name, size_t len);
int interop_draft_socket_type(const char *name);
/* zmq_connect, or zmq_connect_peer when steps has "peer-send" or "peer-client" (its routing id is kept
 * for that step). */
int interop_connect(void *sock, const char *endpoint, const char *steps);

/* Monotonic milliseconds. */
long long interop_now_ms(void);

#endif
