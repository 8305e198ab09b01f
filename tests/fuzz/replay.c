/* Runs a fuzz target without libFuzzer: every file named on the command line, or found directly inside a
 * directory named there, is read and passed to LLVMFuzzerTestOneInput once. Lets ctest replay corpora. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t size = 0;
    size_t cap = 0;

    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (size == cap) {
            cap = cap ? 2 * cap : 4096;
            data = realloc(data, cap);
            FUZZ_CHECK(data != NULL);
        }
        size_t n = fread(data + size, 1, cap - size, f);
        size += n;
        if (n == 0)
            break;
    }
    fclose(f);
    /* An exact-size copy, so a read past the input's end is a heap overflow AddressSanitizer reports. */
    uint8_t *exact = fuzz_copy(data, size);
    free(data);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    return 0;
}

static int replay_dir(const char *path, int *count)
{
    DIR *dir = opendir(path);
    struct dirent *entry;
    char file[4096];

    if (dir == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        snprintf(file, sizeof file, "%s/%s", path, entry->d_name);
        if (replay_file(file) < 0) {
            closedir(dir);
            return -1;
        }
        (*count)++;
    }
    closedir(dir);
    return 0;
}

int main(int argc, char **argv)
{
    int count = 0;
    struct stat st;

    if (argc < 2) {
        fprintf(stderr, "usage: %s corpus-dir-or-file...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        int rc = S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) : replay_file(argv[i]);
        if (rc < 0)
            return 1;
        count += S_ISDIR(st.st_mode) ? 0 : 1;
    }
    printf("%s: replayed %d inputs\n", argv[0], count);
    return 0;
}
