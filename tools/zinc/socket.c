/* The socket subcommands of the zinc command (placeholder until the full version lands). */
#include "commands.h"
#include "common.h"

int zinc_cmd_socket(const char *type_name, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    zinc_error(type_name, "not yet");
    return ZINC_EXIT_USAGE;
}
