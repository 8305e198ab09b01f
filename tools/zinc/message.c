/* Multipart messages for the zinc command: an owned array of frames, sent and received whole, and the
 * C-style escape decoding used for data given on the command line or stdin with --escapes. */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

void zinc_message_init(zinc_message *m)
{
    m->frames = NULL;
    m->count = 0;
    m->capacity = 0;
}

int zinc_message_add(zinc_message *m, const void *data, size_t size)
{
    if (m->count == m->capacity) {
        size_t cap = m->capacity ? m->capacity * 2 : 4;
        zinc_frame *frames = realloc(m->frames, cap * sizeof *frames);
        if (!frames)
            return -1;
        m->frames = frames;
        m->capacity = cap;
    }
    unsigned char *copy = NULL;
    if (size) {
        copy = malloc(size);
        if (!copy)
            return -1;
        memcpy(copy, data, size);
    }
    m->frames[m->count].data = copy;
    m->frames[m->count].size = size;
    m->count++;
    return 0;
}

void zinc_message_clear(zinc_message *m)
{
    for (size_t k = 0; k < m->count; k++)
        free(m->frames[k].data);
    free(m->frames);
    zinc_message_init(m);
}

int zinc_message_send(void *socket, const zinc_message *m, int flags)
{
    if (m->count == 0)
        return zmq_send(socket, "", 0, flags) < 0 ? -1 : 0;
    for (size_t k = 0; k < m->count; k++) {
        int more = k + 1 < m->count ? ZMQ_SNDMORE : 0;
        /* after the first frame the message is committed: later frames never fail with EAGAIN */
        int f = k == 0 ? flags : (flags & ~ZMQ_DONTWAIT);
        if (zmq_send(socket, m->frames[k].data ? (const void *)m->frames[k].data : "", m->frames[k].size,
                     f | more) < 0)
            return -1;
    }
    return 0;
}

int zinc_message_recv(void *socket, zinc_message *m, int flags)
{
    zmq_msg_t part;
    int more = 1;
    zinc_message_clear(m);
    while (more) {
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, socket, m->count ? 0 : flags) < 0) {
            int err = errno;
            zmq_msg_close(&part);
            errno = err;
            return -1;
        }
        more = zmq_msg_more(&part);
        int rc = zinc_message_add(m, zmq_msg_data(&part), zmq_msg_size(&part));
        zmq_msg_close(&part);
        if (rc < 0) {
            errno = ENOMEM;
            return -1;
        }
    }
    return 0;
}

static int hex_value(int c)
{
    if (!isxdigit(c))
        return -1;
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* One escape after the backslash at in[*k]; advances *k past it; -1 if malformed. */
static int unescape_one(const char *in, size_t len, size_t *k)
{
    if (*k + 1 >= len)
        return -1;
    char c = in[*k + 1];
    *k += 2;
    switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case '0': return 0;
    case '\\': return '\\';
    case '"': return '"';
    case '\'': return '\'';
    case 'x': {
        if (*k + 2 > len)
            return -1;
        int hi = hex_value((unsigned char)in[*k]);
        int lo = hex_value((unsigned char)in[*k + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        *k += 2;
        return hi * 16 + lo;
    }
    default:
        return -1;
    }
}

long zinc_unescape(const char *in, size_t len, unsigned char *out)
{
    size_t n = 0;
    size_t k = 0;
    while (k < len) {
        if (in[k] != '\\') {
            out[n++] = (unsigned char)in[k++];
            continue;
        }
        int c = unescape_one(in, len, &k);
        if (c < 0)
            return -1;
        out[n++] = (unsigned char)c;
    }
    return (long)n;
}
