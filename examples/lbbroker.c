/* lbbroker: a load-balancing broker, with its clients and workers as threads of the same process.
 *
 * Pattern: ROUTER/ROUTER broker between REQ clients and REQ workers.
 *
 *   client (REQ) ---\                         /--- (REQ) worker   workers start by sending "READY"
 *   client (REQ) ----> frontend  broker  backend <--- (REQ) worker   then each reply means "ready again"
 *   client (REQ) ---/  (ROUTER)          (ROUTER) \--- (REQ) worker
 *
 * A ROUTER socket prefixes every message it receives with the sender's routing id, and sends each message
 * to the peer whose id is the first frame. That lets the broker keep a queue of ready workers and send each
 * request to the one that has been idle longest (least recently used), rather than blindly round-robin as
 * PUSH or DEALER would: a slow worker never has requests piling up behind it. The broker only reads from
 * the frontend while some worker is ready, so clients simply wait when every worker is busy.
 *
 * Envelopes, as the broker sees them:
 *   frontend in   [client id] [""] [request]
 *   backend out   [worker id] [""] [client id] [""] [request]     (the worker's REQ removes [worker id] [""])
 *   backend in    [worker id] [""] "READY"  or  [worker id] [""] [client id] [""] [reply]
 *   frontend out  [client id] [""] [reply]
 *
 * Bounded for testing: N clients send R requests each; when every reply is back and every worker is idle,
 * the broker sends each worker "END", joins the threads and prints how many requests each worker handled.
 *
 * Usage: lbbroker [--clients N] [--workers M] [--requests R] [--tcp]   (defaults 10, 3, 10, inproc)
 */
#include <zmq.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORKERS 64
#define ID_MAX 32

struct peer {
    void *context;
    const char *endpoint;      /* the broker's frontend (clients) or backend (workers) */
    int index;                 /* client-N / worker-N */
    int requests;              /* clients: how many to send */
    int ok;                    /* clients: replies that answered our own request */
};

/* Receive one frame as a string (truncated to size - 1); returns its length or -1. */
static int recv_string(void *socket, char *buf, size_t size)
{
    int len = zmq_recv(socket, buf, size - 1, 0);
    if (len < 0)
        return -1;
    if (len > (int) size - 1)
        len = (int) size - 1;
    buf[len] = '\0';
    return len;
}

static void send_string(void *socket, const char *text, int flags)
{
    zmq_send(socket, text, strlen(text), flags);
}

static void *client_thread(void *arg)
{
    struct peer *me = arg;
    void *client = zmq_socket(me->context, ZMQ_REQ);
    char id[ID_MAX];
    snprintf(id, sizeof id, "client-%d", me->index);
    zmq_setsockopt(client, ZMQ_ROUTING_ID, id, strlen(id));
    zmq_connect(client, me->endpoint);

    for (int r = 0; r < me->requests; r++) {
        char request[64], reply[128];
        snprintf(request, sizeof request, "HELLO %d from %s", r, id);
        send_string(client, request, 0);
        if (recv_string(client, reply, sizeof reply) < 0)
            break;
        /* The worker answers "OK <our request> (worker-K)": check it is ours. */
        if (strncmp(reply, "OK ", 3) == 0 && strncmp(reply + 3, request, strlen(request)) == 0)
            me->ok++;
    }
    zmq_close(client);
    return NULL;
}

static void *worker_thread(void *arg)
{
    struct peer *me = arg;
    void *worker = zmq_socket(me->context, ZMQ_REQ);
    char id[ID_MAX];
    snprintf(id, sizeof id, "worker-%d", me->index);
    zmq_setsockopt(worker, ZMQ_ROUTING_ID, id, strlen(id));
    zmq_connect(worker, me->endpoint);

    send_string(worker, "READY", 0);   /* tell the broker we are ready for work */
    while (1) {
        char client[ID_MAX], empty[1], request[64], reply[128];
        if (recv_string(worker, client, sizeof client) < 0 || strcmp(client, "END") == 0)
            break;                     /* a lone "END" instead of [client id] [""] [request]: we are done */
        recv_string(worker, empty, sizeof empty);
        recv_string(worker, request, sizeof request);
        snprintf(reply, sizeof reply, "OK %s (%s)", request, id);
        send_string(worker, client, ZMQ_SNDMORE);
        send_string(worker, "", ZMQ_SNDMORE);
        send_string(worker, reply, 0);
    }
    zmq_close(worker);
    return NULL;
}

struct broker {
    void *frontend, *backend;
    char ready[MAX_WORKERS][ID_MAX];   /* the ready queue, oldest first */
    int ready_count;
    char seen[MAX_WORKERS][ID_MAX];    /* every worker that said READY, and how many requests it handled */
    int handled[MAX_WORKERS];
    int seen_count;
    int replies;
};

static int worker_slot(struct broker *b, const char *id)
{
    for (int i = 0; i < b->seen_count; i++)
        if (strcmp(b->seen[i], id) == 0)
            return i;
    snprintf(b->seen[b->seen_count], ID_MAX, "%s", id);
    return b->seen_count++;
}

/* A message from a worker: READY, or a reply to pass back to its client. Either way the worker is ready. */
static void from_backend(struct broker *b)
{
    char worker[ID_MAX], empty[1], client[ID_MAX], reply[128];
    recv_string(b->backend, worker, sizeof worker);
    recv_string(b->backend, empty, sizeof empty);
    recv_string(b->backend, client, sizeof client);
    int slot = worker_slot(b, worker);
    if (strcmp(client, "READY") != 0) {
        recv_string(b->backend, empty, sizeof empty);
        recv_string(b->backend, reply, sizeof reply);
        send_string(b->frontend, client, ZMQ_SNDMORE);
        send_string(b->frontend, "", ZMQ_SNDMORE);
        send_string(b->frontend, reply, 0);
        b->handled[slot]++;
        b->replies++;
    }
    memcpy(b->ready[b->ready_count++], worker, ID_MAX);
}

/* A request from a client: give it to the least recently used ready worker (the head of the queue). */
static void from_frontend(struct broker *b)
{
    char client[ID_MAX], empty[1], request[64];
    recv_string(b->frontend, client, sizeof client);
    recv_string(b->frontend, empty, sizeof empty);
    recv_string(b->frontend, request, sizeof request);
    send_string(b->backend, b->ready[0], ZMQ_SNDMORE);
    send_string(b->backend, "", ZMQ_SNDMORE);
    send_string(b->backend, client, ZMQ_SNDMORE);
    send_string(b->backend, "", ZMQ_SNDMORE);
    send_string(b->backend, request, 0);
    b->ready_count--;
    memmove(b->ready[0], b->ready[1], (size_t) b->ready_count * ID_MAX);
}

static void bind_endpoint(void *socket, const char *endpoint, char *bound, size_t size)
{
    if (zmq_bind(socket, endpoint) != 0) {
        fprintf(stderr, "lbbroker: bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        exit(1);
    }
    zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, bound, &size);
}

int main(int argc, char **argv)
{
    int clients = 10, workers = 3, requests = 10, tcp = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            clients = atoi(argv[++i]);
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
            workers = atoi(argv[++i]);
        else if (strcmp(argv[i], "--requests") == 0 && i + 1 < argc)
            requests = atoi(argv[++i]);
        else if (strcmp(argv[i], "--tcp") == 0)
            tcp = 1;
    }
    if (clients < 1 || clients > 1000 || workers < 1 || workers > MAX_WORKERS || requests < 0) {
        fprintf(stderr, "lbbroker: need 1..1000 clients, 1..%d workers\n", MAX_WORKERS);
        return 2;
    }

    void *context = zmq_ctx_new();
    struct broker b = {.frontend = zmq_socket(context, ZMQ_ROUTER), .backend = zmq_socket(context, ZMQ_ROUTER)};
    char front[256], back[256];
    bind_endpoint(b.frontend, tcp ? "tcp://127.0.0.1:*" : "inproc://frontend", front, sizeof front);
    bind_endpoint(b.backend, tcp ? "tcp://127.0.0.1:*" : "inproc://backend", back, sizeof back);
    printf("frontend %s, backend %s: %d clients x %d requests, %d workers\n", front, back, clients, requests,
           workers);

    pthread_t threads[1000 + MAX_WORKERS];
    struct peer peers[1000 + MAX_WORKERS];
    for (int i = 0; i < clients + workers; i++) {
        int is_client = i < clients;
        peers[i] = (struct peer){context, is_client ? front : back, is_client ? i : i - clients, requests, 0};
        pthread_create(&threads[i], NULL, is_client ? client_thread : worker_thread, &peers[i]);
    }

    /* Poll the backend always, the frontend only when a worker is ready to take a request. Serving starts
     * once every worker has said READY: a worker whose thread starts late would otherwise find the others
     * have done all the work (the queue is least recently used first, so from then on every worker gets
     * some). */
    int total = clients * requests;
    while (b.replies < total || b.ready_count < workers) {
        int serving = b.ready_count > 0 && b.seen_count == workers;
        zmq_pollitem_t items[] = {{b.backend, 0, ZMQ_POLLIN, 0}, {b.frontend, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, serving ? 2 : 1, -1) < 0)
            break;
        if (items[0].revents & ZMQ_POLLIN)
            from_backend(&b);
        if (serving && items[1].revents & ZMQ_POLLIN)
            from_frontend(&b);
    }

    /* Every client has its replies and every worker is idle: send each worker END. */
    for (int i = 0; i < b.ready_count; i++) {
        send_string(b.backend, b.ready[i], ZMQ_SNDMORE);
        send_string(b.backend, "", ZMQ_SNDMORE);
        send_string(b.backend, "END", 0);
    }
    int ok = 0;
    for (int i = 0; i < clients + workers; i++) {
        pthread_join(threads[i], NULL);
        ok += peers[i].ok;
    }
    for (int i = 0; i < b.seen_count; i++)
        printf("%s handled %d requests\n", b.seen[i], b.handled[i]);
    printf("%d of %d replies came back to the client that asked\n", ok, total);

    zmq_close(b.frontend);
    zmq_close(b.backend);
    zmq_ctx_term(context);
    return ok == total ? 0 : 1;
}
