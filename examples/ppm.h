/* ppm: a small, careful reader and writer for binary Netpbm images, P6 (RGB) and P5 (grey), maxval 255.
 * Used by the task farm (taskvent reads, tasksink writes) and by mkimages. Not a ØMQ example itself. */
#ifndef EXAMPLES_PPM_H
#define EXAMPLES_PPM_H

#include <stddef.h>

#define PPM_MAX_SIDE 16384                      /* widest or tallest image accepted */
#define PPM_MAX_FILE (64L << 20)                /* largest file read: 64 MiB */

struct image {
    int width;              /* pixels per row, 1 .. PPM_MAX_SIDE */
    int height;             /* rows, 1 .. PPM_MAX_SIDE */
    int channels;           /* 1: grey (P5), 3: RGB (P6) */
    unsigned char *pixels;  /* width * height * channels bytes, row-major; owned, freed by image_free */
};

/* image_bytes: the size of the pixel array. */
size_t image_bytes(const struct image *img);

/* image_alloc: set the geometry and allocate zeroed pixels; 0, or -1 on a bad geometry or no memory. */
int image_alloc(struct image *img, int width, int height, int channels);

/* image_parse: decode a whole P5/P6 file held in memory into img (which then owns a copy of the pixels).
 * Returns 0, or -1 with *why set to a static explanation; img is then left empty. Trailing bytes are ignored. */
int image_parse(const unsigned char *data, size_t len, struct image *img, const char **why);

/* image_read: read and decode a file. Returns 0, or -1 with *why set (a static string; errno for I/O). */
int image_read(const char *path, struct image *img, const char **why);

/* image_write: write img as P5 or P6 (by channels). Returns 0, or -1 with errno set. */
int image_write(const char *path, const struct image *img);

/* image_free: release the pixels; img is then empty (safe to free twice). */
void image_free(struct image *img);

#endif
