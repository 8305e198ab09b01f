/* taskvent: the ventilator of the image task farm. Reads PPM/PGM images, cuts each into bands of rows and
 * pushes one task per band to the workers (taskwork), which send their results on to tasksink.
 *
 * Pattern: pipeline (PUSH/PULL), the "divide and conquer" task farm:
 *
 *                 taskvent (PUSH, bind)
 *            /          |          \          tasks are dealt round-robin to the connected workers
 *   taskwork (PULL)  taskwork  taskwork
 *            \          |          /          results are fair-queued into the sink
 *                 tasksink (PULL, bind)
 *
 * PUSH deals tasks only to workers that are connected *now*: if we started pushing while just one worker had
 * connected, that worker would get every task. So we first wait until the expected number of workers have
 * connected, using a socket monitor (ZMQ_EVENT_HANDSHAKE_SUCCEEDED on our PUSH socket), or, without
 * --workers, until you press Enter as in the classic example.
 *
 * Usage: taskvent [--bind ENDPOINT] [--band ROWS] [--workers N] IMAGE...
 *   --bind     where workers connect (default: TCP port 5557 on every interface)
 *   --band     rows per task, even (default 64)
 *   --workers  wait for N workers to connect (at most 10 s) instead of waiting for Enter
 */
#include "farm.h"
#include "ppm.h"

#include <zmq.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Wait until `workers` peers have completed the ZMTP handshake with `sender`. 0, or -1 after 10 s. */
static int wait_for_workers(void *context, void *sender, int workers)
{
    zmq_socket_monitor(sender, "inproc://taskvent-monitor", ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    void *monitor = zmq_socket(context, ZMQ_PAIR);
    zmq_connect(monitor, "inproc://taskvent-monitor");
    int timeout_ms = 10000;
    zmq_setsockopt(monitor, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);

    int ready = 0;
    while (ready < workers) {
        /* A monitor event is two frames: 6 bytes (16-bit event, 32-bit value), then the peer's address. */
        uint8_t event[6];
        char address[256];
        if (zmq_recv(monitor, event, sizeof event, 0) < 0 || zmq_recv(monitor, address, sizeof address, 0) < 0)
            break;
        ready++;
    }
    zmq_socket_monitor(sender, NULL, 0);
    zmq_close(monitor);
    printf("%d of %d workers connected\n", ready, workers);
    return ready == workers ? 0 : -1;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Bands of one image: the even rows only (an odd last row is dropped), `band` rows at a time. */
static int bands_of(const struct image *img, int band)
{
    int rows = img->height & ~1;
    return img->width < 2 ? 0 : (rows + band - 1) / band;
}

/* Read every image; on failure say why and return -1 (images already read stay for the caller to free). */
static int load_images(struct image *images, char **names, int count)
{
    for (int i = 0; i < count; i++) {
        const char *why;
        if (!farm_name_ok(base_name(names[i]))) {
            fprintf(stderr, "taskvent: %s: use a plain file name ([A-Za-z0-9._-])\n", names[i]);
            return -1;
        }
        if (image_read(names[i], &images[i], &why) != 0) {
            fprintf(stderr, "taskvent: %s: %s\n", names[i], why);
            return -1;
        }
    }
    return 0;
}

static int send_tasks(void *sender, struct image *images, char **names, int count, int band, int tasks)
{
    int sent = 0;
    for (int i = 0; i < count; i++) {
        struct image *img = &images[i];
        int rows_total = img->height & ~1;
        for (int row = 0; row < rows_total && img->width >= 2; row += band) {
            int rows = rows_total - row < band ? rows_total - row : band;
            char header[FARM_HEADER_MAX];
            int len = snprintf(header, sizeof header, FARM_TASK_PRINT, i, count, tasks, base_name(names[i]),
                               img->width, img->height, img->channels, row, rows);
            size_t stride = (size_t) img->width * img->channels;
            zmq_send(sender, header, (size_t) len, ZMQ_SNDMORE);
            zmq_send(sender, img->pixels + (size_t) row * stride, (size_t) rows * stride, 0);
            sent++;
        }
    }
    return sent;
}

int main(int argc, char **argv)
{
    const char *endpoint = "tcp://*:5557";
    int band = 64, workers = 0, first_image = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc)
            endpoint = argv[++i];
        else if (strcmp(argv[i], "--band") == 0 && i + 1 < argc)
            band = atoi(argv[++i]);
        else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc)
            workers = atoi(argv[++i]);
        else {
            first_image = i;
            break;
        }
    }
    int count = argc - first_image;
    if (count < 1 || band < 2 || band % 2 != 0) {
        fprintf(stderr, "usage: taskvent [--bind ENDPOINT] [--band EVEN_ROWS] [--workers N] IMAGE...\n");
        return 2;
    }

    /* Read and check every image before anything is sent. */
    char **names = argv + first_image;
    struct image *images = calloc((size_t) count, sizeof *images);
    int tasks = 0, rc = -1;
    long bytes = 0;
    if (!images || load_images(images, names, count) != 0)
        goto free_images;
    for (int i = 0; i < count; i++) {
        tasks += bands_of(&images[i], band);
        bytes += (long) image_bytes(&images[i]);
    }

    void *context = zmq_ctx_new();
    void *sender = zmq_socket(context, ZMQ_PUSH);
    if (zmq_bind(sender, endpoint) != 0) {
        fprintf(stderr, "taskvent: bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        goto close_socket;
    }
    char bound[256];
    size_t bound_len = sizeof bound;
    zmq_getsockopt(sender, ZMQ_LAST_ENDPOINT, bound, &bound_len);
    printf("ventilating on %s\n", bound);
    fflush(stdout);

    rc = 0;
    if (workers > 0) {
        rc = wait_for_workers(context, sender, workers);
    } else {
        printf("press Enter when the workers are ready: ");
        fflush(stdout);
        getchar();
    }
    if (rc == 0) {
        int sent = send_tasks(sender, images, names, count, band, tasks);
        printf("sent %d tasks for %d images (%.1f MB)\n", sent, count, bytes / 1e6);
    }

    /* zmq_ctx_term waits (default ZMQ_LINGER: forever) until every queued task has been handed over. */
close_socket:
    zmq_close(sender);
    zmq_ctx_term(context);
free_images:
    for (int i = 0; images && i < count; i++)
        image_free(&images[i]);
    free(images);
    return rc == 0 ? 0 : 1;
}
