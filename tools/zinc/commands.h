/* The zinc command's subcommands: one entry point each, called by main.c with argv[0] the subcommand's name.
 * Each returns the process exit status: 0 success, 1 runtime failure (timeout, peer, network), 2 usage error. */
#ifndef ZINC_CLI_COMMANDS_H
#define ZINC_CLI_COMMANDS_H

/* socket.c: send recv req rep pub sub push pull dealer router pair xpub xsub stream (type_name = argv[0]) */
int zinc_cmd_socket(const char *type_name, int argc, char **argv);
/* keygen.c: a CURVE keypair in Z85 */
int zinc_cmd_keygen(int argc, char **argv);

int zinc_cmd_proxy(int argc, char **argv);
int zinc_cmd_monitor(int argc, char **argv);
int zinc_cmd_probe(int argc, char **argv);
int zinc_cmd_bench(int argc, char **argv);
/* stats.c: another process's socket counters, from its context's stats server */
int zinc_cmd_stats(int argc, char **argv);

#endif
