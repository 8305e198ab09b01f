/* zinc_soak's XSUB/XPUB proxy: XSUB bound on TCP for the publishing peers, XPUB bound on inproc for the
 * proxy lane's SUB, zmq_proxy_steerable in its own thread, ended by TERMINATE on an inproc PAIR.
 * Invariant: the four sockets are made here before the thread starts and closed after it has been joined. */
#include "soak.h"

#include <stdio.h>
#include <string.h>

static void *proxy_xsub, *proxy_xpub, *proxy_control, *proxy_controller;
static pthread_t proxy_thread;
static int proxy_running;

void *soak_proxy_run(void *arg)
{
    (void)arg;
    zmq_proxy_steerable(proxy_xsub, proxy_xpub, NULL, proxy_control);
    return NULL;
}

static void *proxy_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    int zero = 0, hwm = 100000;
    if (s) {
        zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    }
    return s;
}

/* Binds the sockets and starts the thread; writes the XSUB's TCP endpoint into xsub_ep. */
int soak_proxy_setup(void *ctx, char *xsub_ep, size_t cap)
{
    proxy_xsub = proxy_socket(ctx, ZMQ_XSUB);
    proxy_xpub = proxy_socket(ctx, ZMQ_XPUB);
    proxy_control = proxy_socket(ctx, ZMQ_PAIR);
    proxy_controller = proxy_socket(ctx, ZMQ_PAIR);
    if (!proxy_xsub || !proxy_xpub || !proxy_control || !proxy_controller ||
        zmq_bind(proxy_xsub, "tcp://127.0.0.1:*") || zmq_bind(proxy_xpub, "inproc://soak-xpub") ||
        zmq_bind(proxy_control, "inproc://soak-proxy-control") ||
        zmq_connect(proxy_controller, "inproc://soak-proxy-control") ||
        zmq_getsockopt(proxy_xsub, ZMQ_LAST_ENDPOINT, xsub_ep, &cap)) {
        fprintf(stderr, "zinc_soak: proxy setup: %s\n", zmq_strerror(zmq_errno()));
        return -1;
    }
    proxy_running = pthread_create(&proxy_thread, NULL, soak_proxy_run, NULL) == 0;
    return proxy_running ? 0 : -1;
}

void soak_proxy_stop(void)
{
    if (proxy_running) {
        zmq_send(proxy_controller, "TERMINATE", 9, 0);
        pthread_join(proxy_thread, NULL);
        proxy_running = 0;
    }
    void **all[] = {&proxy_xsub, &proxy_xpub, &proxy_control, &proxy_controller};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (*all[i]) {
            zmq_close(*all[i]);
            *all[i] = NULL;
        }
}
