/* Deprecated: kept so that code written for older libzmq still builds. The stopwatch, zmq_sleep and
 * zmq_threadstart/zmq_threadclose it once declared now live in zmq.h, which this simply includes. */

#ifndef ZINC_ZMQ_UTILS_H
#define ZINC_ZMQ_UTILS_H

#include "zmq.h"

#endif /* ZINC_ZMQ_UTILS_H */
