/* farm: the messages of the image task farm (taskvent -> taskwork -> tasksink), shared by the three programs
 * and spoken identically by python/taskfarm.py. Every message is two frames: a one-line text header, then the
 * pixels. Text headers keep the protocol readable with any ØMQ tool and easy to parse in any language.
 *
 *   task    (taskvent -> taskwork, PUSH/PULL)
 *     "TASK image=I images=N tasks=T name=NAME width=W height=H channels=C row=R rows=K"
 *     then K rows of the input image starting at row R: W * K * C bytes (C = 3 for RGB, 1 for grey)
 *   result  (taskwork -> tasksink, PUSH/PULL)
 *     "RESULT worker=ID image=I images=N tasks=T name=NAME width=W/2 height=H/2 row=R/2 rows=K/2 inbytes=B"
 *     then the grey, half-size band: (W/2) * (K/2) bytes
 *   kill    (tasksink -> every taskwork, PUB/SUB): "KILL"
 *
 * The transformation: grey = (77 R + 150 G + 29 B + 128) >> 8 per pixel (a grey input is used as is), then a
 * 2x2 box average (a + b + c + d + 2) >> 2. Odd last columns and rows are dropped, so R and K are even.
 */
#ifndef EXAMPLES_FARM_H
#define EXAMPLES_FARM_H

#define FARM_NAME_MAX 64   /* image names: [A-Za-z0-9._-], shorter than this, no path */
#define FARM_HEADER_MAX 256

/* printf formats, and the sscanf formats that read them back (%63s: at most FARM_NAME_MAX - 1 characters) */
#define FARM_TASK_PRINT "TASK image=%d images=%d tasks=%d name=%s width=%d height=%d channels=%d row=%d rows=%d"
#define FARM_TASK_SCAN "TASK image=%d images=%d tasks=%d name=%63s width=%d height=%d channels=%d row=%d rows=%d"
#define FARM_RESULT_PRINT \
    "RESULT worker=%s image=%d images=%d tasks=%d name=%s width=%d height=%d row=%d rows=%d inbytes=%ld"
#define FARM_RESULT_SCAN \
    "RESULT worker=%63s image=%d images=%d tasks=%d name=%63s width=%d height=%d row=%d rows=%d inbytes=%ld"

struct farm_task {
    int image, images, tasks;  /* which image, how many images and tasks in the whole batch */
    char name[FARM_NAME_MAX];  /* the input file's name, without directory */
    int width, height;         /* the whole input image */
    int channels;              /* 1 or 3 */
    int row, rows;             /* the band: first row and row count, both even */
};

struct farm_result {
    char worker[FARM_NAME_MAX]; /* who did it: tasksink counts tasks per worker */
    int image, images, tasks;
    char name[FARM_NAME_MAX];
    int width, height;          /* the whole output image */
    int row, rows;              /* the output band */
    long inbytes;               /* input bytes this band came from, for MB/s */
};

/* farm_name_ok: 1 if name is safe to use as a file name (no '/', no "..", no spaces). */
static inline int farm_name_ok(const char *name)
{
    int n = 0;
    for (; name[n]; n++) {
        char c = name[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return 0;
    }
    return n > 0 && n < FARM_NAME_MAX && name[0] != '.';
}

#endif
