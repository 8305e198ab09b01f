/* zinc keygen: a new CURVE keypair in Z85, printed and optionally written to files (the secret one with
 * mode 0600), ready for --curve-server/--curve-client/--curve-secret (as KEY or @FILE). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "commands.h"
#include "common.h"

static const char *keygen_help =
    "Usage: zinc keygen [--public-file FILE] [--secret-file FILE]\n"
    "Make a CURVE keypair and print it in Z85:\n"
    "  public: <40 characters>\n"
    "  secret: <40 characters>\n\n"
    "  --public-file FILE   also write the public key (and a newline) to FILE\n"
    "  --secret-file FILE   also write the secret key to FILE, created with mode 0600\n"
    "  -q, --quiet          print nothing (with the files)\n"
    "  -h, --help           this help\n\n"
    "Use: zinc rep --bind tcp://*:5555 --curve-server @server.secret\n"
    "     zinc req --connect tcp://host:5555 --curve-client @server.public hello\n";

/* Writes key and a newline to path, creating it with mode; -1 after an error message. */
static int write_key(const char *path, const char *key, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0) {
        zinc_error("keygen", "%s: %s (check the directory exists and is writable)", path, strerror(errno));
        return -1;
    }
    if (mode == 0600 && fchmod(fd, 0600) != 0) { /* an existing file keeps its mode otherwise */
        zinc_error("keygen", "%s: chmod 0600: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    char line[42];
    snprintf(line, sizeof line, "%s\n", key);
    ssize_t n = write(fd, line, strlen(line));
    int rc = close(fd);
    if (n != (ssize_t)strlen(line) || rc != 0) {
        zinc_error("keygen", "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int zinc_cmd_keygen(int argc, char **argv)
{
    const char *public_file = NULL, *secret_file = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (zinc_is_help(argv[i])) {
            fputs(keygen_help, stdout);
            return ZINC_EXIT_OK;
        } else if (zinc_flag_is(argv[i], "--public-file")) {
            if (!(public_file = zinc_flag_value("keygen", argc, argv, &i, "server.public")))
                return ZINC_EXIT_USAGE;
        } else if (zinc_flag_is(argv[i], "--secret-file")) {
            if (!(secret_file = zinc_flag_value("keygen", argc, argv, &i, "server.secret")))
                return ZINC_EXIT_USAGE;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else {
            zinc_usage("keygen", "%s: unknown option (keygen takes --public-file, --secret-file, --quiet)",
                       argv[i]);
            return ZINC_EXIT_USAGE;
        }
    }
    char public_key[41], secret_key[41];
    if (zmq_curve_keypair(public_key, secret_key) != 0) {
        zinc_error("keygen", "cannot make a keypair: %s (CURVE needs a build with libsodium)",
                   zmq_strerror(errno));
        return ZINC_EXIT_FAIL;
    }
    if ((secret_file && write_key(secret_file, secret_key, 0600) < 0) ||
        (public_file && write_key(public_file, public_key, 0644) < 0))
        return ZINC_EXIT_FAIL;
    if (!quiet)
        printf("public: %s\nsecret: %s\n", public_key, secret_key);
    return ZINC_EXIT_OK;
}
