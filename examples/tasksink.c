/* tasksink: the sink of the image task farm. Collects the grey half-size bands from every taskwork,
 * reassembles each image, writes it as a PGM, prints the throughput and how many tasks each worker did
 * (the load balancing), then tells the workers to stop.
 *
 * Pattern: pipeline (PUSH/PULL) collection, plus a PUB socket to broadcast "KILL" when the batch is done.
 * The sink binds both sockets, so it is the stable end that workers find; results from all workers are
 * fair-queued into one PULL socket and may arrive in any order, so every result says where it belongs.
 *
 * Usage: tasksink [--bind ENDPOINT] [--control ENDPOINT] [--out DIR]
 *   --bind     where results arrive (default: TCP port 5558 on every interface)
 *   --control  where the kill signal is published (default: TCP port 5559 on every interface)
 *   --out      directory for the output images (default "."): NAME.ppm or NAME.pgm becomes NAME-small.pgm
 */
#include "farm.h"
#include "ppm.h"

#include <zmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_WORKERS 64
#define MAX_IMAGES 4096

struct output {
    char name[FARM_NAME_MAX];  /* the input's name */
    struct image image;        /* grey, assembled band by band; pixels NULL until the first band */
    unsigned char *row_done;   /* one flag per output row, so a repeated band cannot complete an image */
    int rows_done;
    int written;
};

struct worker_count {
    char id[FARM_NAME_MAX];
    int tasks;
};

struct batch {
    int images, tasks;         /* from the first result; 0 until then */
    struct output *outputs;    /* images entries */
    struct worker_count workers[MAX_WORKERS];
    int worker_count;
    int received;              /* good results */
    long inbytes;              /* input bytes behind them */
    const char *out_dir;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bind_and_print(void *socket, const char *endpoint, const char *what)
{
    if (zmq_bind(socket, endpoint) != 0) {
        fprintf(stderr, "tasksink: bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    char bound[256];
    size_t bound_len = sizeof bound;
    zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, bound, &bound_len);
    printf("%s on %s\n", what, bound);
    fflush(stdout);
    return 0;
}

static void count_worker(struct batch *b, const char *id)
{
    for (int i = 0; i < b->worker_count; i++) {
        if (strcmp(b->workers[i].id, id) == 0) {
            b->workers[i].tasks++;
            return;
        }
    }
    if (b->worker_count < MAX_WORKERS) {
        snprintf(b->workers[b->worker_count].id, FARM_NAME_MAX, "%s", id);
        b->workers[b->worker_count++].tasks = 1;
    }
}

/* Check a result header against the batch and the pixel frame's size; the first result sizes the batch. */
static int check_result(struct batch *b, const struct farm_result *r, size_t pixel_bytes)
{
    if (r->images < 1 || r->images > MAX_IMAGES || r->tasks < 1 || r->image < 0 || r->image >= r->images ||
        r->width < 1 || r->width > 8192 || r->height < 1 || r->height > 8192 || r->row < 0 || r->rows < 1 ||
        r->row + r->rows > r->height || pixel_bytes != (size_t) r->width * r->rows || !farm_name_ok(r->name))
        return -1;
    if (b->images == 0) {
        b->images = r->images;
        b->tasks = r->tasks;
        b->outputs = calloc((size_t) b->images, sizeof *b->outputs);
        if (!b->outputs) {
            b->images = 0;
            return -1;
        }
    }
    if (r->images != b->images || r->tasks != b->tasks)
        return -1;
    struct output *o = &b->outputs[r->image];
    if (o->image.pixels == NULL && !o->written) {
        if (image_alloc(&o->image, r->width, r->height, 1) != 0)
            return -1;
        o->row_done = calloc((size_t) r->height, 1);
        if (!o->row_done) {
            image_free(&o->image);
            return -1;
        }
        snprintf(o->name, sizeof o->name, "%s", r->name);
    }
    if (o->written || strcmp(o->name, r->name) != 0 || o->image.width != r->width || o->image.height != r->height)
        return -1;
    return 0;
}

static void write_output(struct batch *b, struct output *o)
{
    char path[4096];
    const char *dot = strrchr(o->name, '.');
    int stem = dot ? (int) (dot - o->name) : (int) strlen(o->name);
    snprintf(path, sizeof path, "%s/%.*s-small.pgm", b->out_dir, stem, o->name);
    if (image_write(path, &o->image) != 0)
        perror(path);
    else
        printf("wrote %s (%dx%d)\n", path, o->image.width, o->image.height);
    image_free(&o->image);
    free(o->row_done);
    o->row_done = NULL;
    o->written = 1;
}

/* Receive one result (two frames) and put its band in place. */
static void take_result(void *receiver, struct batch *b)
{
    char header[FARM_HEADER_MAX];
    int len = zmq_recv(receiver, header, sizeof header - 1, 0);
    int more = 0;
    size_t more_size = sizeof more;
    zmq_getsockopt(receiver, ZMQ_RCVMORE, &more, &more_size);
    zmq_msg_t pixels;
    zmq_msg_init(&pixels);
    struct farm_result r;
    if (len < 0)
        goto close;
    header[len < (int) sizeof header ? len : (int) sizeof header - 1] = '\0';
    if (len >= (int) sizeof header || !more || zmq_msg_recv(&pixels, receiver, 0) < 0) {
        fprintf(stderr, "tasksink: bad result ignored (not a header and a pixel frame): '%s'\n", header);
        goto close;
    }
    if (sscanf(header, FARM_RESULT_SCAN, r.worker, &r.image, &r.images, &r.tasks, r.name, &r.width,
               &r.height, &r.row, &r.rows, &r.inbytes) != 10 ||
        check_result(b, &r, zmq_msg_size(&pixels)) != 0) {
        fprintf(stderr, "tasksink: bad result ignored: '%s'\n", header);
        goto close;
    }
    struct output *o = &b->outputs[r.image];
    memcpy(o->image.pixels + (size_t) r.row * r.width, zmq_msg_data(&pixels), zmq_msg_size(&pixels));
    for (int y = r.row; y < r.row + r.rows; y++) {
        o->rows_done += !o->row_done[y];
        o->row_done[y] = 1;
    }
    b->received++;
    b->inbytes += r.inbytes;
    count_worker(b, r.worker);
    if (o->rows_done == o->image.height)
        write_output(b, o);
close:
    zmq_msg_close(&pixels);
}

int main(int argc, char **argv)
{
    const char *endpoint = "tcp://*:5558", *control = "tcp://*:5559";
    struct batch b = {.out_dir = "."};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bind") == 0)
            endpoint = argv[i + 1];
        else if (strcmp(argv[i], "--control") == 0)
            control = argv[i + 1];
        else if (strcmp(argv[i], "--out") == 0)
            b.out_dir = argv[i + 1];
    }

    void *context = zmq_ctx_new();
    void *receiver = zmq_socket(context, ZMQ_PULL);
    void *controller = zmq_socket(context, ZMQ_PUB);
    if (bind_and_print(receiver, endpoint, "collecting") != 0 || bind_and_print(controller, control, "control") != 0)
        return 1;

    /* The clock starts at the first result: the time to start the workers is not the farm's. */
    take_result(receiver, &b);
    double start = now_seconds();
    while (b.tasks == 0 || b.received < b.tasks)
        take_result(receiver, &b);
    double elapsed = now_seconds() - start;
    if (elapsed < 1e-6)
        elapsed = 1e-6;

    printf("%d images, %d tasks in %.3f s: %.1f images/s, %.1f MB/s\n", b.images, b.tasks, elapsed,
           b.images / elapsed, b.inbytes / 1e6 / elapsed);
    for (int i = 0; i < b.worker_count; i++)
        printf("  %s: %d tasks\n", b.workers[i].id, b.workers[i].tasks);

    /* Tell every worker to stop; closing with the default linger delivers "KILL" before zmq_ctx_term returns. */
    zmq_send(controller, "KILL", 4, 0);

    for (int i = 0; i < b.images; i++) {
        image_free(&b.outputs[i].image);
        free(b.outputs[i].row_done);
    }
    free(b.outputs);
    zmq_close(receiver);
    zmq_close(controller);
    zmq_ctx_term(context);
    return 0;
}
