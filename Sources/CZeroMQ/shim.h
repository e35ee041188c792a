// Debian's libzmq3-dev installs zmq.h in the default include path.
#include <zmq.h>
