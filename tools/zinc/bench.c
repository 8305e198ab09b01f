/* bench.c: placeholder */
#include "commands.h"
int zinc_cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}
