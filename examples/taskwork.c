/* taskwork: a worker of the image task farm. Pulls bands of images from taskvent, turns each into grey at
 * half size, and pushes the result to tasksink. Run as many as you like: each one gets a share of the tasks.
 *
 * Pattern: pipeline (PUSH/PULL) plus a kill signal (PUB/SUB). A worker has three sockets:
 *   receiver    PULL, connects to the ventilator: tasks arrive here, dealt round-robin among the workers
 *   sender      PUSH, connects to the sink: results go there, fair-queued with the other workers'
 *   controller  SUB, connects to the sink's control socket: "KILL" when the batch is done
 * zmq_poll waits on receiver and controller at once, so the worker stops as soon as the sink says so
 * instead of looping forever as the classic worker does.
 *
 * Usage: taskwork [--connect VENT] [--sink SINK] [--control CONTROL] [--id NAME]
 *   defaults: tcp://localhost:5557, tcp://localhost:5558, tcp://localhost:5559, id "worker-PID"
 */
#include "farm.h"

#include <zmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Grey value of pixel x in a row of `channels`-byte pixels (integer BT.601-like weights summing to 256). */
static int grey_at(const unsigned char *row, int x, int channels)
{
    if (channels == 1)
        return row[x];
    const unsigned char *p = row + (size_t) x * 3;
    return (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8;
}

/* The real work: grey plus a 2x2 box downscale of one band, into out ((width/2) * (rows/2) bytes). */
static void shrink_band(const struct farm_task *task, const unsigned char *in, unsigned char *out)
{
    size_t stride = (size_t) task->width * task->channels;
    int out_width = task->width / 2;
    for (int y = 0; y < task->rows / 2; y++) {
        const unsigned char *top = in + (size_t) (2 * y) * stride;
        const unsigned char *bottom = top + stride;
        for (int x = 0; x < out_width; x++) {
            int sum = grey_at(top, 2 * x, task->channels) + grey_at(top, 2 * x + 1, task->channels) +
                      grey_at(bottom, 2 * x, task->channels) + grey_at(bottom, 2 * x + 1, task->channels);
            out[(size_t) y * out_width + x] = (unsigned char) ((sum + 2) >> 2);
        }
    }
}

/* Parse and check a task header against the size of its pixel frame. 0 if the task is well formed. */
static int parse_task(const char *header, size_t pixel_bytes, struct farm_task *t)
{
    if (sscanf(header, FARM_TASK_SCAN, &t->image, &t->images, &t->tasks, t->name, &t->width, &t->height,
               &t->channels, &t->row, &t->rows) != 9)
        return -1;
    if (t->width < 2 || t->width > 16384 || t->height < 2 || t->height > 16384 ||
        (t->channels != 1 && t->channels != 3) || t->row < 0 || t->row % 2 || t->rows < 2 || t->rows % 2 ||
        t->row + t->rows > t->height || !farm_name_ok(t->name))
        return -1;
    return pixel_bytes == (size_t) t->width * t->rows * t->channels ? 0 : -1;
}

/* Receive one task (two frames), do it, send the result. Returns 0, or -1 on a malformed task (skipped). */
static int do_task(void *receiver, void *sender, const char *id)
{
    char header[FARM_HEADER_MAX];
    int len = zmq_recv(receiver, header, sizeof header - 1, 0);
    zmq_msg_t pixels;
    zmq_msg_init(&pixels);
    int more = 0;
    size_t more_size = sizeof more;
    zmq_getsockopt(receiver, ZMQ_RCVMORE, &more, &more_size);
    if (len < 0 || len > (int) sizeof header - 1 || !more || zmq_msg_recv(&pixels, receiver, 0) < 0) {
        zmq_msg_close(&pixels);
        return -1;
    }
    header[len] = '\0';

    struct farm_task task;
    int rc = parse_task(header, zmq_msg_size(&pixels), &task);
    if (rc == 0) {
        size_t out_bytes = (size_t) (task.width / 2) * (task.rows / 2);
        unsigned char *out = malloc(out_bytes);
        if (!out) {
            zmq_msg_close(&pixels);
            return -1;
        }
        shrink_band(&task, zmq_msg_data(&pixels), out);
        char reply[FARM_HEADER_MAX];
        int reply_len = snprintf(reply, sizeof reply, FARM_RESULT_PRINT, id, task.image, task.images,
                                 task.tasks, task.name, task.width / 2, task.height / 2, task.row / 2,
                                 task.rows / 2, (long) zmq_msg_size(&pixels));
        zmq_send(sender, reply, (size_t) reply_len, ZMQ_SNDMORE);
        zmq_send(sender, out, out_bytes, 0);
        free(out);
    } else {
        fprintf(stderr, "taskwork: malformed task '%s' skipped\n", header);
    }
    zmq_msg_close(&pixels);
    return rc;
}

int main(int argc, char **argv)
{
    const char *vent = "tcp://localhost:5557", *sink = "tcp://localhost:5558", *control = "tcp://localhost:5559";
    char id[FARM_NAME_MAX];
    snprintf(id, sizeof id, "worker-%ld", (long) getpid());
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--connect") == 0)
            vent = argv[i + 1];
        else if (strcmp(argv[i], "--sink") == 0)
            sink = argv[i + 1];
        else if (strcmp(argv[i], "--control") == 0)
            control = argv[i + 1];
        else if (strcmp(argv[i], "--id") == 0 && farm_name_ok(argv[i + 1]))
            snprintf(id, sizeof id, "%s", argv[i + 1]);
    }

    /* The controller first: its subscription should reach the sink before any task reaches us, since a
     * "KILL" published before the subscription arrives is dropped like any unsubscribed message. */
    void *context = zmq_ctx_new();
    void *controller = zmq_socket(context, ZMQ_SUB);
    zmq_setsockopt(controller, ZMQ_SUBSCRIBE, "KILL", 4);
    zmq_connect(controller, control);
    void *receiver = zmq_socket(context, ZMQ_PULL);
    zmq_connect(receiver, vent);
    void *sender = zmq_socket(context, ZMQ_PUSH);
    zmq_connect(sender, sink);

    int done = 0;
    while (1) {
        zmq_pollitem_t items[] = {{receiver, 0, ZMQ_POLLIN, 0}, {controller, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, -1) < 0)
            break;
        if (items[0].revents & ZMQ_POLLIN && do_task(receiver, sender, id) == 0)
            done++;
        if (items[1].revents & ZMQ_POLLIN)
            break;   /* the sink said KILL: the batch is finished */
    }
    printf("%s: %d tasks done\n", id, done);

    /* Every result has reached the sink (it said KILL only after the last one), so the default linger has
     * nothing to wait for. (SUB sockets default to ZMQ_LINGER 0, and should keep it: once the sink has gone,
     * libzmq queues the subscription again for it, and with linger -1 zmq_ctx_term would wait forever.) */
    zmq_close(receiver);
    zmq_close(sender);
    zmq_close(controller);
    zmq_ctx_term(context);
    return 0;
}
