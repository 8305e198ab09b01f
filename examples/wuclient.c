/* wuclient: the weather update client. Subscribes to one zipcode (or a zipcode prefix) on wuserver's feed,
 * collects N updates and prints the average temperature.
 *
 * Pattern: publish-subscribe (PUB/SUB). A SUB socket receives nothing until it subscribes. A subscription is
 * a byte prefix: "10001 " (with the space) matches exactly zipcode 10001, "1001" matches 10010 .. 10019, and
 * "" matches everything. Filtering happens in the library (over TCP, at the publisher), so messages that do
 * not match never reach this program.
 *
 * Usage: wuclient [--connect ENDPOINT] [--count N] [--verbose] [PREFIX]
 *   --connect  the publisher (default tcp://localhost:5556)
 *   --count    how many updates to average (default 100)
 *   --verbose  print every update received ("update 10001 57 33")
 *   PREFIX     subscription prefix (default "10001 ")
 */
#include <zmq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *endpoint = "tcp://localhost:5556";
    const char *filter = "10001 ";
    long count = 100;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--connect") == 0 && i + 1 < argc)
            endpoint = argv[++i];
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = 1;
        else
            filter = argv[i];
    }

    printf("collecting %ld updates for prefix '%s' from %s\n", count, filter, endpoint);
    void *context = zmq_ctx_new();
    void *subscriber = zmq_socket(context, ZMQ_SUB);
    zmq_connect(subscriber, endpoint);
    zmq_setsockopt(subscriber, ZMQ_SUBSCRIBE, filter, strlen(filter));

    long total_temperature = 0;
    long received = 0;
    while (received < count) {
        char update[64];
        int size = zmq_recv(subscriber, update, sizeof update - 1, 0);
        if (size < 0)
            break;
        if (size > (int) sizeof update - 1)
            size = sizeof update - 1;
        update[size] = '\0';

        int zipcode, temperature, relhumidity;
        if (sscanf(update, "%d %d %d", &zipcode, &temperature, &relhumidity) != 3) {
            fprintf(stderr, "wuclient: malformed update '%s'\n", update);
            continue;
        }
        if (verbose)
            printf("update %s\n", update);
        total_temperature += temperature;
        received++;
    }
    if (received > 0)
        printf("average temperature for prefix '%s' was %ldF over %ld updates\n", filter,
               total_temperature / received, received);

    zmq_close(subscriber);
    zmq_ctx_term(context);
    return received == count ? 0 : 1;
}
