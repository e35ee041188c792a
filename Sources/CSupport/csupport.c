#include <sys/ioctl.h>
#include "csupport.h"
#include <signal.h>
#include <stdio.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

int sweep_terminate_with_parent(void) {
#ifdef __linux__
    return prctl(PR_SET_PDEATHSIG, SIGTERM);
#else
    return -1;
#endif
}

void sweep_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}

int sweep_terminal_size(int fd, int *columns, int *rows) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return -1;
    *columns = ws.ws_col;
    *rows = ws.ws_row;
    return 0;
}
