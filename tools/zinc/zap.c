/* A ZAP handler (RFC 27) for the zinc command: a thread answering inproc://zeromq.zap.01 in the command's
 * context, so that --plain-server works (a PLAIN server needs a handler) and can check one user/password.
 * Anything else asked of it (other mechanisms) is accepted. */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

struct zinc_zap {
    void *socket;          /* REP on inproc://zeromq.zap.01; used only by the thread */
    void *thread;
    const char *user;      /* PLAIN user to accept, or NULL for anyone */
    const char *password;
};

static int frame_is(const zinc_frame *f, const char *text)
{
    return f->size == strlen(text) && (f->size == 0 || memcmp(f->data, text, f->size) == 0);
}

/* RFC 27 request: version, request id, domain, address, routing id, mechanism, credentials... */
static int zap_allowed(const zinc_zap *z, const zinc_message *req)
{
    if (req->count < 6 || !frame_is(&req->frames[0], "1.0"))
        return 0;
    if (!frame_is(&req->frames[5], "PLAIN") || !z->user)
        return 1;
    return req->count >= 8 && frame_is(&req->frames[6], z->user) && frame_is(&req->frames[7], z->password);
}

static void zap_reply(void *socket, const zinc_message *req, int ok)
{
    zinc_message rep;
    zinc_message_init(&rep);
    const zinc_frame *id = req->count > 1 ? &req->frames[1] : NULL;
    const char *user = ok ? "zinc" : "";
    zinc_message_add(&rep, "1.0", 3);
    zinc_message_add(&rep, id ? id->data : NULL, id ? id->size : 0);
    zinc_message_add(&rep, ok ? "200" : "400", 3);
    zinc_message_add(&rep, ok ? "OK" : "wrong user or password", ok ? 2 : 22);
    zinc_message_add(&rep, user, strlen(user));
    zinc_message_add(&rep, "", 0);
    zinc_message_send(socket, &rep, 0);
    zinc_message_clear(&rep);
}

static void zap_thread(void *arg)
{
    zinc_zap *z = arg;
    zinc_message req;
    zinc_message_init(&req);
    while (zinc_message_recv(z->socket, &req, 0) == 0 || zmq_errno() == EINTR)
        if (req.count)
            zap_reply(z->socket, &req, zap_allowed(z, &req));
    zinc_message_clear(&req);
    zmq_close(z->socket); /* ETERM: the context is ending */
}

zinc_zap *zinc_zap_start(const zinc_config *cfg, void *ctx)
{
    const zinc_security *s = &cfg->security;
    if (!s->plain_server)
        return NULL;
    zinc_zap *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    z->user = s->plain_user;
    z->password = s->plain_password;
    z->socket = zmq_socket(ctx, ZMQ_REP);
    int linger = 0;
    if (!z->socket || zmq_setsockopt(z->socket, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(z->socket, "inproc://zeromq.zap.01") != 0)
        goto fail;
    z->thread = zmq_threadstart(zap_thread, z);
    if (!z->thread)
        goto fail;
    return z;
fail:
    zinc_error_zmq(cfg->cmd, "starting the ZAP handler");
    if (z->socket)
        zmq_close(z->socket);
    free(z);
    return NULL;
}

void zinc_zap_join(zinc_zap *z)
{
    if (!z)
        return;
    zmq_threadclose(z->thread);
    free(z);
}
