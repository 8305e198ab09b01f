/* The ZAP client: one pipe to the handler's socket per request, the request written as frames, the reply
 * read and checked whole. Runs on the connection's I/O thread and never blocks (see zap.h). */
#include "core/zap.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "core/ctx.h"
#include "core/mailbox.h"
#include "core/msg.h"
#include "core/pipe.h"

#define ZAP_REPLY_FRAMES 7   /* delimiter, version, request id, status, text, user id, metadata */

/* Finds the handler and hands it the far end of a new pipe. Returns our end, or NULL (*err set). */
static struct pipe_end *zap_connect(struct ctx *ctx, struct mailbox *io_mbox, void *owner, int *err)
{
    pthread_mutex_lock(&ctx->lock);
    struct inproc_binding *b = ctx->bindings;
    while (b && strcmp(b->name, ZAP_ENDPOINT) != 0)
        b = b->next;
    if (!b) {
        pthread_mutex_unlock(&ctx->lock);
        *err = -ENOENT;
        return NULL;
    }
    struct mailbox *handler_mbox = b->mbox;
    mailbox_ref(handler_mbox);
    pthread_mutex_unlock(&ctx->lock);

    struct pipe *pipe = pipe_new(0, 0);
    if (!pipe) {
        mailbox_unref(handler_mbox);
        *err = -ENOMEM;
        return NULL;
    }
    struct pipe_end *mine = &pipe->end[0], *theirs = &pipe->end[1];
    pipe_end_set_mailbox(mine, io_mbox);
    mine->owner = owner;
    theirs->zmtp_minor = -1;
    pipe_end_set_mailbox(theirs, handler_mbox);
    struct cmd cmd = {.type = CMD_PIPE_ATTACH, .end = theirs};
    int rc = mailbox_post(handler_mbox, &cmd);
    mailbox_unref(handler_mbox);
    if (rc < 0) {
        pipe_close(theirs);
        mine->owner = NULL;
        pipe_close(mine);
        *err = -ENOMEM;
        return NULL;
    }
    return mine;
}

static int zap_write_frame(struct pipe_end *e, const void *data, size_t len, bool more)
{
    struct msg m;
    if (msg_init_size(&m, len) < 0)
        return -ENOMEM;
    if (len)
        memcpy(msg_data(&m), data, len);
    m.flags = more ? MSGF_MORE : 0;
    if (pipe_write(e, &m) < 0) {
        msg_close(&m);
        return -ENOMEM;
    }
    return 0;
}

static int zap_write_str(struct pipe_end *e, const char *s, bool more)
{
    return zap_write_frame(e, s, strlen(s), more);
}

/* RFC 27 "The ZAP Request": an empty delimiter (so a REP or ROUTER handler works), version, request id,
 * domain, address, identity, mechanism, credentials. */
static int zap_write_request(struct zap_client *z, const struct zap_fields *f, const struct zmtp_zap_request *req)
{
    char id[16];
    snprintf(id, sizeof id, "%u", (unsigned)z->request_id);
    int rc = zap_write_frame(z->end, "", 0, true);
    if (rc == 0)
        rc = zap_write_str(z->end, "1.0", true);
    if (rc == 0)
        rc = zap_write_str(z->end, id, true);
    if (rc == 0)
        rc = zap_write_str(z->end, f->domain, true);
    if (rc == 0)
        rc = zap_write_str(z->end, f->address, true);
    if (rc == 0)
        rc = zap_write_frame(z->end, f->identity, f->identity_len, true);
    if (rc == 0)
        rc = zap_write_str(z->end, req->mechanism, req->credential_count > 0);
    for (int i = 0; rc == 0 && i < req->credential_count; i++)
        rc = zap_write_frame(z->end, req->credential[i], req->credential_len[i], i + 1 < req->credential_count);
    if (rc < 0) {
        pipe_rollback(z->end);
        return rc;
    }
    pipe_flush(z->end);
    /* Marks us asleep, so the reply wakes us; a handler quick enough to have answered already would not
     * wake us any more, so we wake ourselves. */
    if (pipe_check_read(z->end)) {
        struct cmd cmd = {.type = CMD_PIPE_WAKE, .end = z->end};
        if (mailbox_post(z->end->mbox, &cmd) < 0)
            return -ENOMEM;
    }
    return 0;
}

int zap_client_start(struct zap_client *z, struct ctx *ctx, struct mailbox *io_mbox, void *owner,
                     const struct zap_fields *f, const struct zmtp_zap_request *req)
{
    int err = 0;
    z->end = zap_connect(ctx, io_mbox, owner, &err);
    if (!z->end)
        return err;
    z->request_id = 1;   /* one request per pipe: libzmq also always sends "1" */
    int rc = zap_write_request(z, f, req);
    if (rc < 0)
        zap_client_close(z);
    return rc;
}

void zap_client_close(struct zap_client *z)
{
    if (!z->end)
        return;
    z->end->owner = NULL;
    pipe_close(z->end);
    z->end = NULL;
}

static bool zap_frame_is(struct msg *m, const char *text)
{
    size_t len = strlen(text);
    return msg_size(m) == len && memcmp(msg_data(m), text, len) == 0;
}

static int zap_status_code(struct msg *m)
{
    static const char *const codes[] = {"200", "300", "400", "500"};
    for (int i = 0; i < 4; i++)
        if (zap_frame_is(m, codes[i]))
            return 200 + 100 * i;
    return 0;
}

static int zap_metadata_valid(const uint8_t *data, size_t len)
{
    const uint8_t *pos = data;
    struct zmtp_property prop;
    int rc;
    while ((rc = zmtp_metadata_next(&pos, data + len, &prop)) == 1)
        ;
    return rc == 0;
}

/* Checks a whole reply; fills out. Returns 1 or -ZMQ_PROTOCOL_ERROR_ZAP_*. */
static int64_t zap_check_reply(struct zap_client *z, struct msg *f, size_t n, struct zap_reply *out)
{
    char id[16];
    snprintf(id, sizeof id, "%u", (unsigned)z->request_id);
    if (n != ZAP_REPLY_FRAMES || msg_size(&f[0]) != 0)
        return -(int64_t)ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY;
    if (!zap_frame_is(&f[1], "1.0"))
        return -(int64_t)ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION;
    if (!zap_frame_is(&f[2], id))
        return -(int64_t)ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID;
    out->status_code = zap_status_code(&f[3]);
    if (!out->status_code)
        return -(int64_t)ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE;
    if (msg_size(&f[5]) > 255)
        return -(int64_t)ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY;
    out->user_id_len = msg_size(&f[5]);
    memcpy(out->user_id, msg_data(&f[5]), out->user_id_len);
    size_t meta_len = msg_size(&f[6]);
    if (meta_len > ZAP_METADATA_MAX || !zap_metadata_valid(msg_data(&f[6]), meta_len))
        return -(int64_t)ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA;
    out->metadata = NULL;
    out->metadata_len = 0;
    if (meta_len) {
        out->metadata = malloc(meta_len);
        if (!out->metadata)
            return -(int64_t)ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED;
        memcpy(out->metadata, msg_data(&f[6]), meta_len);
        out->metadata_len = meta_len;
    }
    return 1;
}

int64_t zap_client_poll(struct zap_client *z, struct zap_reply *out)
{
    if (!z->end)
        return -EPIPE;
    struct msg frames[ZAP_REPLY_FRAMES];
    size_t n = 0, total = 0;
    struct msg m;
    bool more = true;
    while (more && pipe_read(z->end, &m)) {
        more = m.flags & MSGF_MORE;
        if (n < ZAP_REPLY_FRAMES)
            frames[n++] = m;   /* a move */
        else
            msg_close(&m);
        total++;
    }
    if (total == 0) {
        if (pipe_peer_closed(z->end)) {
            zap_client_close(z);
            return -EPIPE;
        }
        return 0;
    }
    int64_t rc = zap_check_reply(z, frames, total, out);
    for (size_t i = 0; i < n; i++)
        msg_close(&frames[i]);
    zap_client_close(z);
    return rc;
}
