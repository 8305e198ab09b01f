/* zmq_proxy and zmq_proxy_steerable. */
#ifndef ZINC_PROXY_H
#define ZINC_PROXY_H

struct socket;

/* Runs until TERMINATE on control (0) or an error such as ETERM (-errno). capture and control may be NULL. */
int proxy_run(struct socket *frontend, struct socket *backend, struct socket *capture, struct socket *control);

#endif
