/* wuserver: the weather update server. Publishes "zipcode temperature humidity" updates on a PUB socket.
 *
 * Pattern: publish-subscribe (PUB/SUB). The publisher sends every update to whoever is subscribed and never
 * waits: it does not know or care how many subscribers there are, and messages for which there is no
 * subscriber are simply dropped. Subscribers choose what they get by prefix (see wuclient.c). A subscriber
 * that joins late misses what was sent before it joined ("slow joiner"): PUB/SUB is a radio, not a queue.
 *
 * Usage: wuserver [--bind ENDPOINT] [--zipcodes N] [--seconds S]
 *   --bind      where to publish (default: TCP port 5556 on every interface); "tcp://127.0.0.1:*" picks a free port, printed below
 *   --zipcodes  publish for zipcodes 10000 .. 10000+N-1 (default 90000: every 5-digit zipcode from 10000)
 *   --seconds   stop after S seconds (default 0: run until Ctrl-C; SIGINT or SIGTERM end the loop cleanly)
 */
#include <zmq.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int signum)
{
    (void) signum;
    interrupted = 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *endpoint = "tcp://*:5556";
    int zipcodes = 90000;
    double seconds = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bind") == 0)
            endpoint = argv[i + 1];
        else if (strcmp(argv[i], "--zipcodes") == 0)
            zipcodes = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
    }
    if (zipcodes < 1 || zipcodes > 90000) {
        fprintf(stderr, "wuserver: --zipcodes must be 1 .. 90000\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    void *context = zmq_ctx_new();
    void *publisher = zmq_socket(context, ZMQ_PUB);
    if (zmq_bind(publisher, endpoint) != 0) {
        fprintf(stderr, "wuserver: bind %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }
    char bound[256];
    size_t bound_len = sizeof bound;
    zmq_getsockopt(publisher, ZMQ_LAST_ENDPOINT, bound, &bound_len);
    printf("publishing on %s\n", bound);
    fflush(stdout);

    srandom(1);
    double stop_at = now_seconds() + seconds;
    long published = 0;
    while (!interrupted) {
        /* Make up some weather: a zipcode, a temperature and a relative humidity. */
        int zipcode = 10000 + (int) (random() % zipcodes);
        int temperature = (int) (random() % 215) - 80;
        int relhumidity = (int) (random() % 50) + 10;

        char update[32];
        int len = snprintf(update, sizeof update, "%05d %d %d", zipcode, temperature, relhumidity);
        zmq_send(publisher, update, (size_t) len, 0);
        published++;
        if (seconds > 0 && published % 1000 == 0 && now_seconds() >= stop_at)
            break;
    }
    printf("published %ld updates\n", published);

    zmq_close(publisher);
    zmq_ctx_term(context);
    return 0;
}
