#define _GNU_SOURCE
#include "csupport.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

// Run as process 1 of a pid namespace (a container's entry point, `unshare --pid --fork`),
// sweep does an init's two jobs, as tini (`docker run --init`) does, and the command runs in
// a child: the kernel delivers to process 1 only the signals it has handlers for, so a
// SIGTERM in sweep's first milliseconds (before its handlers) was lost; and orphans of trial
// programs, re-parented to process 1, were never reaped (hundreds of zombies in a
// long-lived worker container). This process blocks every signal from the start, forwards
// each to the child, and reaps every process that ends; it exits with the child's status.
// Called first thing, before any thread is started. Returns only in the child (or when not
// process 1, or when SWEEP_NO_INIT is set).
void sweep_run_as_init_if_pid_one(void) {
    if (getpid() != 1) return;
    const char *off = getenv("SWEEP_NO_INIT");
    if (off != NULL && off[0] != '\0') return;
    sigset_t all, previous;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &previous);
    pid_t child = fork();
    if (child <= 0) {
        if (child == 0) {
            // The child leads its own process group and takes the terminal, if any: a Ctrl-C
            // reaches it once (from the terminal), not again forwarded from here.
            setpgid(0, 0);
            if (isatty(STDIN_FILENO)) {
                struct sigaction ignore = {0}, saved;
                ignore.sa_handler = SIG_IGN;
                sigaction(SIGTTOU, &ignore, &saved);
                tcsetpgrp(STDIN_FILENO, getpgrp());
                sigaction(SIGTTOU, &saved, NULL);
            }
        }
        sigprocmask(SIG_SETMASK, &previous, NULL); // (no child: run as is)
        return;
    }
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) continue; // EINTR
        if (sig != SIGCHLD) {
            kill(child, sig);
            continue;
        }
        int status;
        pid_t ended;
        while ((ended = waitpid(-1, &status, WNOHANG)) > 0) {
            if (ended != child) continue; // an orphan, reaped
            _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
        if (ended < 0 && errno == ECHILD) _exit(1);
    }
}
