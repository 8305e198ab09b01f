/* ppm: reading and writing binary Netpbm images (P5 grey, P6 RGB, maxval 255). The parser is a pure function
 * over a buffer: every number is bounded before it is used, and the raster size is checked against the
 * bytes actually present before anything is allocated. */
#include "ppm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t image_bytes(const struct image *img)
{
    return (size_t) img->width * (size_t) img->height * (size_t) img->channels;
}

int image_alloc(struct image *img, int width, int height, int channels)
{
    img->pixels = NULL;
    if (width < 1 || width > PPM_MAX_SIDE || height < 1 || height > PPM_MAX_SIDE ||
        (channels != 1 && channels != 3))
        return -1;
    img->width = width;
    img->height = height;
    img->channels = channels;
    img->pixels = calloc(image_bytes(img), 1);
    return img->pixels ? 0 : -1;
}

void image_free(struct image *img)
{
    free(img->pixels);
    img->pixels = NULL;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skip whitespace and '#' comments (which run to the end of the line) before a header number. */
static size_t skip_blanks(const unsigned char *data, size_t len, size_t pos)
{
    while (pos < len) {
        if (is_space(data[pos])) {
            pos++;
        } else if (data[pos] == '#') {
            while (pos < len && data[pos] != '\n' && data[pos] != '\r')
                pos++;
        } else {
            break;
        }
    }
    return pos;
}

/* Read one decimal header number in 1 .. max; returns the position after it, or 0 on error. */
static size_t read_number(const unsigned char *data, size_t len, size_t pos, long max, long *out)
{
    pos = skip_blanks(data, len, pos);
    long value = 0;
    size_t start = pos;
    while (pos < len && data[pos] >= '0' && data[pos] <= '9') {
        value = value * 10 + (data[pos] - '0');
        if (value > max)
            return 0;
        pos++;
    }
    if (pos == start || value < 1)
        return 0;
    *out = value;
    return pos;
}

int image_parse(const unsigned char *data, size_t len, struct image *img, const char **why)
{
    img->pixels = NULL;
    if (len < 2 || data[0] != 'P' || (data[1] != '5' && data[1] != '6')) {
        *why = "not a binary PGM/PPM (magic P5 or P6)";
        return -1;
    }
    int channels = data[1] == '6' ? 3 : 1;
    long width, height, maxval;
    size_t pos = 2;
    if (pos >= len || !is_space(data[pos])) {
        *why = "no whitespace after the magic number";
        return -1;
    }
    if (!(pos = read_number(data, len, pos, PPM_MAX_SIDE, &width)) ||
        !(pos = read_number(data, len, pos, PPM_MAX_SIDE, &height))) {
        *why = "width or height missing, zero or larger than PPM_MAX_SIDE";
        return -1;
    }
    if (!(pos = read_number(data, len, pos, 65535, &maxval))) {
        *why = "maxval missing or out of range";
        return -1;
    }
    if (maxval != 255) {
        *why = "only maxval 255 (8-bit samples) is supported";
        return -1;
    }
    /* Exactly one whitespace byte separates the header from the raster. */
    if (pos >= len || !is_space(data[pos])) {
        *why = "no whitespace after maxval";
        return -1;
    }
    pos++;
    size_t raster = (size_t) width * (size_t) height * (size_t) channels;
    if (len - pos < raster) {
        *why = "truncated raster (fewer bytes than width * height * channels)";
        return -1;
    }
    if (image_alloc(img, (int) width, (int) height, channels) != 0) {
        *why = "out of memory";
        return -1;
    }
    memcpy(img->pixels, data + pos, raster);
    return 0;
}

int image_read(const char *path, struct image *img, const char **why)
{
    img->pixels = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = strerror(errno);
        return -1;
    }
    int rc = -1;
    unsigned char *data = NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
        *why = "cannot seek (not a regular file?)";
    else if (size > PPM_MAX_FILE)
        *why = "file larger than PPM_MAX_FILE";
    else if (!(data = malloc(size > 0 ? (size_t) size : 1)))
        *why = "out of memory";
    else if (fread(data, 1, (size_t) size, f) != (size_t) size)
        *why = "short read";
    else
        rc = image_parse(data, (size_t) size, img, why);
    free(data);
    fclose(f);
    return rc;
}

int image_write(const char *path, const struct image *img)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fprintf(f, "P%c\n%d %d\n255\n", img->channels == 3 ? '6' : '5', img->width, img->height) > 0 &&
             fwrite(img->pixels, 1, image_bytes(img), f) == image_bytes(img);
    if (fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}
