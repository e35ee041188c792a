#ifndef SWEEP_CSUPPORT_H
#define SWEEP_CSUPPORT_H

/// Asks the kernel to send SIGTERM to this process when its parent dies (Linux only;
/// returns -1 elsewhere). Used by local workers of `sweep run`.
int sweep_terminate_with_parent(void);

/// Makes standard output line-buffered (so prints and direct writes keep their order).
void sweep_line_buffer_stdout(void);

/// The size of the terminal on `fd` in columns and rows; returns -1 when `fd` is not a
/// terminal (ioctl is variadic, which Swift cannot call).
int sweep_terminal_size(int fd, int *columns, int *rows);

#endif
