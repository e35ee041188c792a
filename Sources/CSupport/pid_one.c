#define _GNU_SOURCE
#include "csupport.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

// Run as process 1 of a pid namespace (a container's entry point, `unshare --pid --fork`),
// sweep does an init's two jobs, as tini (`docker run --init`) does, and the command runs in
// a child: the kernel delivers to process 1 only the signals it has handlers for, so a
// SIGTERM in sweep's first milliseconds (before its handlers) was lost; and orphans of trial
// programs, re-parented to process 1, were never reaped (hundreds of zombies in a
// long-lived worker container). This process blocks the signals from the start, forwards
// each to the child, and reaps every process that ends; it exits with the child's status.
// Runs as a constructor, before the Swift runtime and main (the earlier, the shorter the
// window in which a signal is lost: what arrives before it still is; `docker run --init`
// has none), and again from main (a no-op once done). Returns only in the child (or when
// not process 1, when SWEEP_NO_INIT is set, or when another thread exists already).

static int only_thread(void) {
    // A thread that does not block signals would take a SIGTERM meant for the child and
    // drop it (process 1 ignores what it has no handler for).
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL) return 1;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(tasks)) != NULL) if (entry->d_name[0] != '.') count++;
    closedir(tasks);
    return count <= 1;
}

void sweep_run_as_init_if_pid_one(void) {
    if (getpid() != 1) return;
    const char *off = getenv("SWEEP_NO_INIT");
    if (off != NULL && off[0] != '\0') return;
    if (!only_thread()) return;
    sigset_t all, waited, previous;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &previous);
    // An inherited SIGCHLD of SIG_IGN reaps children unasked: the child's status was lost.
    signal(SIGCHLD, SIG_DFL);
    // The terminal is the child's only when it is this process group's (not in `... &`).
    int foreground = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
    pid_t child = fork();
    if (child <= 0) {
        if (child == 0) {
            // The child leads its own process group and takes the terminal, if ours: a
            // Ctrl-C reaches it once (from the terminal), not again forwarded from here.
            // (SIGTTOU, which tcsetpgrp from a background group raises, is blocked here.)
            setpgid(0, 0);
            if (foreground) tcsetpgrp(STDIN_FILENO, getpgrp());
        }
        sigprocmask(SIG_SETMASK, &previous, NULL); // (no child: run as is)
        return;
    }
    // Job-control signals stay with the terminal's group (tini leaves them too): forwarded,
    // the child stopped while this process held the job.
    waited = all;
    sigdelset(&waited, SIGTTIN);
    sigdelset(&waited, SIGTTOU);
    sigdelset(&waited, SIGTSTP);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&waited, &info);
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

__attribute__((constructor)) static void sweep_init_at_load(void) {
    sweep_run_as_init_if_pid_one();
}
