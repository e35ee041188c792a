#ifndef SWEEP_CSUPPORT_H
#define SWEEP_CSUPPORT_H

/// Asks the kernel to send SIGTERM to this process when its parent dies (Linux only;
/// returns -1 elsewhere). Used by local workers of `sweep run`.
int sweep_terminate_with_parent(void);

/// Makes standard output line-buffered (so prints and direct writes keep their order).
void sweep_line_buffer_stdout(void);

#endif
