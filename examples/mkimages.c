/* mkimages: writes deterministic test images for the task farm: RGB patterns (gradients, checkerboard,
 * rings, an XOR texture, a Mandelbrot set) as P6, plus a grey P5 with odd sides to exercise the edges.
 * Integer arithmetic only (except the Mandelbrot escape loop), so every run writes the same bytes.
 *
 * Usage: mkimages DIR [--count N] [--width W] [--height H]   (defaults: 6 images of 512x384)
 */
#include "ppm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(struct image *img, int x, int y, int r, int g, int b)
{
    unsigned char *p = img->pixels + ((size_t) y * img->width + x) * img->channels;
    if (img->channels == 1) {
        p[0] = (unsigned char) r;
    } else {
        p[0] = (unsigned char) r;
        p[1] = (unsigned char) g;
        p[2] = (unsigned char) b;
    }
}

static int mandelbrot(int x, int y, int w, int h)
{
    double cr = -2.2 + 3.0 * x / w, ci = -1.2 + 2.4 * y / h, zr = 0, zi = 0;
    int n = 0;
    while (n < 64 && zr * zr + zi * zi < 4.0) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        n++;
    }
    return n;
}

static void paint(struct image *img, int pattern)
{
    int w = img->width, h = img->height;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int dx = x - w / 2, dy = y - h / 2;
            switch (pattern) {
            case 0: put(img, x, y, 255 * x / w, 255 * y / h, 255 - 255 * x / w); break;
            case 1: put(img, x, y, ((x / 16 + y / 16) % 2) ? 230 : 20, (x * 7) % 256, (y * 3) % 256); break;
            case 2: put(img, x, y, (dx * dx + dy * dy) / 64 % 256, 128, 255 - (dx * dx + dy * dy) / 97 % 256); break;
            case 3: put(img, x, y, (x ^ y) & 255, (x & y) & 255, (x | y) & 255); break;
            default: {
                int n = mandelbrot(x, y, w, h);
                put(img, x, y, n * 4 % 256, n * 16 % 256, n == 64 ? 0 : 255 - n * 3);
            }
            }
        }
    }
}

static int write_one(const char *dir, const char *name, int width, int height, int channels, int pattern)
{
    struct image img;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (image_alloc(&img, width, height, channels) != 0) {
        fprintf(stderr, "mkimages: bad size %dx%d\n", width, height);
        return -1;
    }
    paint(&img, pattern);
    int rc = image_write(path, &img);
    if (rc != 0)
        perror(path);
    else
        printf("wrote %s (%dx%d, %s)\n", path, width, height, channels == 3 ? "RGB" : "grey");
    image_free(&img);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mkimages DIR [--count N] [--width W] [--height H]\n");
        return 2;
    }
    const char *dir = argv[1];
    int count = 6, width = 512, height = 384;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--count") == 0)
            count = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--width") == 0)
            width = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--height") == 0)
            height = atoi(argv[i + 1]);
    }
    /* count - 1 colour images, then one grey image with odd sides (the last column and row get dropped). */
    for (int i = 0; i < count - 1; i++) {
        char name[64];
        snprintf(name, sizeof name, "pattern%d.ppm", i);
        if (write_one(dir, name, width, height, 3, i % 5) != 0)
            return 1;
    }
    if (count > 0 && write_one(dir, "odd-grey.pgm", width * 3 / 5 | 1, height * 3 / 5 | 1, 1, 4) != 0)
        return 1;
    return 0;
}
