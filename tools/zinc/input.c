/* The data a zinc socket subcommand sends: messages from the command line first, then from stdin or
 * --file, one message a line (--split: tab-separated frames; --raw: all of it one message). The stream is
 * buffered here so the duplex loop can poll the descriptor and take whole lines. */
#include "socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int source_open(source *s, const sock_opts *o)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    s->raw = o->raw;
    s->split = o->split;
    s->escapes = o->cfg.escapes;
    s->args = o->args;
    s->arg_count = o->arg_count;
    if (o->arg_count > 0 || o->no_input || o->role == ROLE_RECV || o->role == ROLE_REP)
        return 0;
    if (!o->file || strcmp(o->file, "-") == 0) {
        s->fd = 0;
        return 0;
    }
    s->fd = open(o->file, O_RDONLY);
    if (s->fd < 0) {
        zinc_error(o->cmd, "--file %s: %s", o->file, strerror(errno));
        return -1;
    }
    return 0;
}

void source_close(source *s)
{
    if (s->fd > 0)
        close(s->fd);
    free(s->buf);
    s->buf = NULL;
    s->fd = -1;
}

/* Appends one frame of data[0..len), decoding escapes when asked. */
static int add_frame(source *s, zinc_message *out, const char *data, size_t len)
{
    if (!s->escapes)
        return zinc_message_add(out, data, len);
    unsigned char *tmp = malloc(len + 1);
    if (!tmp)
        return -1;
    long n = zinc_unescape(data, len, tmp);
    int rc = n < 0 ? -1 : zinc_message_add(out, tmp, (size_t)n);
    if (n < 0)
        zinc_error(NULL, "input: bad escape in '%.*s' (use \\n \\t \\\\ \\xHH)", (int)len, data);
    free(tmp);
    return rc;
}

/* The line data[0..len) as a message: one frame, or with --split one per tab-separated field. */
static int line_message(source *s, zinc_message *out, const char *data, size_t len)
{
    if (!s->split)
        return add_frame(s, out, data, len);
    size_t start = 0;
    for (size_t k = 0; k <= len; k++) {
        if (k < len && data[k] != '\t')
            continue;
        if (add_frame(s, out, data + start, k - start) < 0)
            return -1;
        start = k + 1;
    }
    return 0;
}

static void consume(source *s, size_t n)
{
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
}

static int take_from_stream(source *s, zinc_message *out)
{
    if (s->raw) {
        if (!s->eof)
            return 0;
        if (add_frame(s, out, s->buf ? s->buf : "", s->len) < 0)
            return -1;
        s->len = 0;
        s->fd = -1; /* taken: no more */
        return 1;
    }
    char *nl = s->len ? memchr(s->buf, '\n', s->len) : NULL;
    if (nl) {
        size_t n = (size_t)(nl - s->buf);
        size_t strip = n > 0 && s->buf[n - 1] == '\r' ? 1 : 0;
        int rc = line_message(s, out, s->buf, n - strip);
        consume(s, n + 1);
        return rc < 0 ? -1 : 1;
    }
    if (!s->eof)
        return 0;
    if (s->len == 0)
        return -2;
    int rc = line_message(s, out, s->buf, s->len); /* a last line without its newline */
    s->len = 0;
    return rc < 0 ? -1 : 1;
}

int source_take(source *s, zinc_message *out)
{
    zinc_message_clear(out);
    if (s->arg_next < s->arg_count) {
        const zinc_message *m = &s->args[s->arg_next++];
        for (size_t k = 0; k < m->count; k++)
            if (add_frame(s, out, (const char *)m->frames[k].data, m->frames[k].size) < 0)
                return -1;
        return 1;
    }
    if (s->fd < 0)
        return -2;
    return take_from_stream(s, out);
}

int source_fill(source *s, const char *cmd)
{
    if (s->cap - s->len < 4096) {
        size_t cap = s->cap ? s->cap * 2 : 8192;
        char *buf = realloc(s->buf, cap);
        if (!buf) {
            zinc_error(cmd, "input: out of memory");
            return -1;
        }
        s->buf = buf;
        s->cap = cap;
    }
    ssize_t n = read(s->fd, s->buf + s->len, s->cap - s->len);
    if (n < 0 && errno == EINTR)
        return 1;
    if (n < 0) {
        zinc_error(cmd, "reading input: %s", strerror(errno));
        return -1;
    }
    if (n == 0) {
        s->eof = 1;
        return 0;
    }
    s->len += (size_t)n;
    return 1;
}

int source_next(source *s, const char *cmd, zinc_message *out)
{
    for (;;) {
        int rc = source_take(s, out);
        if (rc == 1)
            return 1;
        if (rc == -2)
            return 0;
        if (rc < 0)
            return -1;
        if (zinc_interrupted || source_fill(s, cmd) < 0)
            return -1;
    }
}
