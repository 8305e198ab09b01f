/* ppm_check: tests the PPM/PGM parser of the image farm (ppm.c) on good and hostile headers: comments,
 * wrong magic, zero or huge sides, 16-bit maxval, missing separator, truncated rasters, and a round trip. */
#include "ppm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

static void expect(const char *what, const char *data, size_t len, int want_ok)
{
    struct image img;
    const char *why = "ok";
    int rc = image_parse((const unsigned char *) data, len, &img, &why);
    if ((rc == 0) != want_ok) {
        printf("FAIL: %s: parse returned %d (%s)\n", what, rc, why);
        failures++;
    } else {
        printf("ok: %s%s%s\n", what, rc ? ": " : "", rc ? why : "");
    }
    if (rc == 0)
        image_free(&img);
}

#define EXPECT(what, literal, ok) expect(what, literal, sizeof(literal) - 1, ok)

static void round_trip(void)
{
    struct image img, back;
    const char *why = "";
    char path[] = "/tmp/zinc-ppm-check-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || image_alloc(&img, 5, 3, 3) != 0) {
        printf("FAIL: round trip setup\n");
        failures++;
        return;
    }
    for (size_t i = 0; i < image_bytes(&img); i++)
        img.pixels[i] = (unsigned char) (i * 37);
    int ok = image_write(path, &img) == 0 && image_read(path, &back, &why) == 0;
    ok = ok && back.width == 5 && back.height == 3 && back.channels == 3 &&
         memcmp(back.pixels, img.pixels, image_bytes(&img)) == 0;
    printf("%s: write then read gives the same 5x3 RGB image (%s)\n", ok ? "ok" : "FAIL", why);
    failures += !ok;
    if (ok)
        image_free(&back);
    image_free(&img);
    remove(path);
    close(fd);
}

int main(void)
{
    EXPECT("P6 2x1", "P6\n2 1\n255\n\1\2\3\4\5\6", 1);
    EXPECT("P5 2x2 with comments", "P5 # grey\n2 # width\n# height next\n2\n255\nabcd", 1);
    EXPECT("trailing bytes ignored", "P5 1 1 255 xyz", 1);
    EXPECT("P3 (ASCII) rejected", "P3\n1 1\n255\n1 2 3", 0);
    EXPECT("bad magic", "Q6\n1 1\n255\nabc", 0);
    EXPECT("no space after magic", "P61 1\n255\nabc", 0);
    EXPECT("zero width", "P6\n0 1\n255\n", 0);
    EXPECT("negative height", "P6\n1 -1\n255\nabc", 0);
    EXPECT("width over the limit", "P5\n16385 1\n255\n", 0);
    EXPECT("huge width digits", "P5\n99999999999999999999 1\n255\n", 0);
    EXPECT("16-bit maxval", "P5\n1 1\n65535\nab", 0);
    EXPECT("maxval 0", "P5\n1 1\n0\na", 0);
    EXPECT("no separator after maxval", "P5\n1 1\n255", 0);
    EXPECT("truncated raster", "P6\n2 2\n255\n12345678901", 0);
    EXPECT("header only", "P6\n", 0);
    EXPECT("empty file", "", 0);
    round_trip();
    struct image img;
    const char *why = "";
    int rc = image_read("/nonexistent/zinc.ppm", &img, &why);
    printf("%s: a missing file is an error (%s)\n", rc ? "ok" : "FAIL", why);
    failures += rc == 0;
    printf("%s\n", failures ? "ppm_check: FAILED" : "ppm_check: all ok");
    return failures ? 1 : 0;
}
