/* xpubxsub: an XPUB sees its subscribers' subscriptions as messages, and an XSUB subscribes by sending
 * one (sockets/xpub.md, sockets/xsub.md). A subscription message is one byte, 1 to subscribe or 0 to
 * unsubscribe, followed by the topic. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

int main(void)
{
    void *ctx = zmq_ctx_new();
    void *xpub = zmq_socket(ctx, ZMQ_XPUB);
    void *xsub = zmq_socket(ctx, ZMQ_XSUB);
    zmq_bind(xpub, "inproc://xpub-example");
    zmq_connect(xsub, "inproc://xpub-example");

    zmq_send(xsub, "\x01" "news", 5, 0);                  /* subscribe to "news" */
    char buf[64];
    int n = zmq_recv(xpub, buf, sizeof buf, 0);           /* the XPUB receives the subscription */
    if (n != 5 || buf[0] != 1 || memcmp(buf + 1, "news", 4) != 0)
        return 1;
    printf("xpub saw: subscribe %.4s\n", buf + 1);

    zmq_send(xpub, "news: zinc 0.1", 14, 0);              /* matches: delivered */
    zmq_send(xpub, "sports: 3-1", 11, 0);                 /* no subscriber for it: dropped */
    n = zmq_recv(xsub, buf, sizeof buf - 1, 0);
    if (n != 14)
        return 1;
    buf[n] = '\0';
    printf("xsub got: %s\n", buf);

    zmq_close(xsub);
    zmq_close(xpub);
    zmq_ctx_term(ctx);
    return 0;
}
